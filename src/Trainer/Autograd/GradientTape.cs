using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Autograd;

/// <summary>Computes input gradients of one recorded op from its output gradients (null = zero).</summary>
/// <paramref name="need"/>[k] tells whether input k's gradient is wanted; ops may skip the others.
internal delegate Tensor?[] BackwardFn(Tensor?[] outputGrads, bool[] need);

/// <summary>
/// Records the ops run while it is active and computes gradients by reverse-mode automatic
/// differentiation, as <c>tf.GradientTape</c>: <c>using var tape = new GradientTape();</c>,
/// run the forward pass, then <c>tape.Gradient(loss, model.TrainableVariables)</c>.
/// Trainable variables are watched automatically; other tensors with <c>Watch</c>.
/// </summary>
public sealed class GradientTape : IDisposable
{
    [ThreadStatic] private static List<GradientTape>? t_active;
    [ThreadStatic] private static int t_paused;

    private readonly List<TapeRecord> _records = [];
    private readonly HashSet<Tensor> _connected = new(TensorIdentity.Instance);
    private readonly bool _watchAccessedVariables;
    private bool _used;
    private bool _disposed;

    /// <summary>Starts recording the operations on watched tensors (trainable variables are watched when <paramref name="watchAccessedVariables"/>); a <paramref name="persistent"/> tape can compute several gradients. Dispose it when done.</summary>
    public GradientTape(bool persistent = false, bool watchAccessedVariables = true)
    {
        Persistent = persistent;
        _watchAccessedVariables = watchAccessedVariables;
        (t_active ??= []).Add(this);
    }

    /// <summary>A persistent tape can compute several gradients; otherwise one.</summary>
    public bool Persistent { get; }

    internal static bool IsRecording => t_paused == 0 && t_active is { Count: > 0 };

    /// <summary>Records operations on <paramref name="t"/>, so gradients with respect to it can be taken.</summary>
    public void Watch(Tensor t) => _connected.Add(t);

    /// <summary>Records operations on <paramref name="v"/>'s value (needed only for non-trainable variables, or with watchAccessedVariables off).</summary>
    public void Watch(Variable v) => _connected.Add(v.Value);

    private bool Tracks(Tensor t) =>
        _connected.Contains(t) || (_watchAccessedVariables && t.Variable is { Trainable: true });

    /// <summary>Called by every differentiable op after its forward pass.</summary>
    internal static void Record(Tensor[] inputs, Tensor[] outputs, BackwardFn backward)
    {
        if (!IsRecording)
        {
            return;
        }

        foreach (var tape in t_active!)
        {
            if (tape._disposed || !inputs.Any(tape.Tracks))
            {
                continue;
            }

            tape._records.Add(new TapeRecord(inputs, outputs, backward));
            foreach (var o in outputs)
            {
                tape._connected.Add(o);
            }
        }
    }

    /// <summary>Runs <paramref name="body"/> without recording (used for backward passes and metrics).</summary>
    internal static T NoRecord<T>(Func<T> body)
    {
        t_paused++;
        try
        {
            return body();
        }
        finally
        {
            t_paused--;
        }
    }

    /// <summary>The gradients of <paramref name="target"/> (summed if not a scalar) with respect to each of <paramref name="sources"/>, in order; null for a source the target does not depend on.</summary>
    /// <exception cref="InvalidOperationException">A non-persistent tape was already used, or the tape was disposed.</exception>
    public Tensor?[] Gradient(Tensor target, IEnumerable<Variable> sources) => Gradient(target, sources.Select(v => v.Value).ToList());

    /// <summary>
    /// d(sum of <paramref name="target"/>)/d(source) for each source; null where the target does not
    /// depend on that source (Keras returns None there).
    /// </summary>
    public Tensor?[] Gradient(Tensor target, IReadOnlyList<Tensor> sources)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_used && !Persistent)
        {
            throw new InvalidOperationException("a non-persistent GradientTape can compute gradients only once; create it with persistent: true to call Gradient again");
        }

        _used = true;
        return NoRecord(() =>
        {
            var grads = new Dictionary<Tensor, Tensor>(TensorIdentity.Instance)
            {
                [target] = Tensor.Ones(target.Shape, target.Backend),
            };

            // Sums the tape made itself and may therefore add into in place (a gradient handed back by
            // an op can be shared, e.g. Add passes its output gradient through unchanged).
            var owned = new HashSet<Tensor>(TensorIdentity.Instance);
            for (int i = _records.Count - 1; i >= 0; i--)
            {
                var rec = _records[i];
                var outGrads = new Tensor?[rec.Outputs.Length];
                bool any = false;
                for (int k = 0; k < outGrads.Length; k++)
                {
                    if (grads.TryGetValue(rec.Outputs[k], out var g))
                    {
                        outGrads[k] = g;
                        any = true;
                    }
                }

                if (!any)
                {
                    continue;
                }

                var need = new bool[rec.Inputs.Length];
                for (int k = 0; k < need.Length; k++)
                {
                    need[k] = Tracks(rec.Inputs[k]);
                }

                var inGrads = rec.Backward(outGrads, need);
                for (int k = 0; k < rec.Inputs.Length; k++)
                {
                    if (inGrads[k] is not { } gi || !Tracks(rec.Inputs[k]))
                    {
                        continue;
                    }

                    var input = rec.Inputs[k];
                    if (!grads.TryGetValue(input, out var prev))
                    {
                        grads[input] = gi;
                    }
                    else if (owned.Contains(prev) && prev.Shape.Equals(gi.Shape))
                    {
                        prev.Backend.Binary(Backends.BinaryOp.Add, prev.Storage, gi.Storage, prev.Storage, prev.Size, gi.Size);
                    }
                    else
                    {
                        var sum = Ops.Add(prev, gi);
                        owned.Add(sum);
                        grads[input] = sum;
                    }
                }
            }

            return sources.Select(s => grads.GetValueOrDefault(s)).ToArray();
        });
    }

    /// <summary>Stops recording and releases the recorded intermediate tensors.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        t_active?.Remove(this);
        _records.Clear();
        _connected.Clear();
    }

    private sealed record TapeRecord(Tensor[] Inputs, Tensor[] Outputs, BackwardFn Backward);
}
