using System.Numerics.Tensors;
using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;
using EdgeNet.Formats.Schemes;
using EdgeNet.Kernels.Optim;
using EdgeNet.Runtime.Training.Ops;
using Ref = EdgeNet.Kernels.Reference;
using Simd = EdgeNet.Kernels.Simd;

namespace EdgeNet.Runtime.Training;

/// <summary>A step: forward, loss, backward, the finiteness check, clipping and the update; the calibration forward.</summary>
public sealed partial class TrainingSession
{
    /// <summary>Runs the forward pass on the first <paramref name="batch"/> samples of <see cref="Input"/>.</summary>
    public void Forward(int batch)
    {
        CheckBatch(batch);
        using var cap = new Simd.Gemm.ThreadCapScope(Options.Threads);
        RunBody(batch);
        for (int i = 0; i < _ops.Length; i++)
        {
            Poison(Fwd(i));
            _ops[i].Forward(_arena, batch, _simd);
        }
    }

    /// <summary>Forward, loss and backward: fills the trainable weights' gradients; returns the mean loss. Changes no weight.</summary>
    public float ComputeGradients(int batch)
    {
        if (ForwardOnly)
        {
            throw new InvalidOperationException($"{_blob.FileName}: this session was made with Layers = \"none\" (forward only); nothing can learn in it");
        }

        Forward(batch);
        using var cap = new Simd.Gemm.ThreadCapScope(Options.Threads);
        Poison(LossStep);
        LastLoss = LossAndGradient(batch);
        for (int i = _ops.Length - 1; i >= _lowest; i--)
        {
            Poison(Bwd(i));
            _ops[i].Backward(_arena, batch, _simd, needDx: i > _lowest);
        }

        Poison(UpdateStep);

        return LastLoss;
    }

    /// <summary>
    /// One optimizer step on the first <paramref name="batch"/> samples of <see cref="Input"/> and <see cref="Targets"/>;
    /// returns the mean loss before the update. A NaN or infinite gradient throws <see cref="NonFiniteGradientException"/> and changes nothing.
    /// </summary>
    public float Step(int batch)
    {
        float loss = ComputeGradients(batch);
        ApplyGradients();
        return loss;
    }

    private float LossAndGradient(int batch)
    {
        int rows = _output.Elements(batch) / _classes;
        var y = _arena.Value(_output, batch);
        var dy = _arena.Grad(_output, batch);
        var loss = _arena.Data.AsSpan(_rowLossAt, rows);
        var dloss = _arena.Data.AsSpan(_rowGradAt, rows);
        var t = Targets(batch);
        dloss.Fill(1f / rows);   // d(mean)/d(row loss)
        switch (Options.Loss)
        {
            case TrainingLoss.SparseCategoricalCrossentropy:
                var probs = _fromProbabilities ? default : _arena.Data.AsSpan(_probsAt, rows * _classes);
                if (_simd)
                {
                    Simd.Losses.SparseCrossEntropy(y, t, loss, probs, rows, _classes, !_fromProbabilities, Options.Epsilon);
                    Simd.Losses.SparseCrossEntropyBackward(y, probs, t, dloss, dy, rows, _classes, !_fromProbabilities, Options.Epsilon);
                }
                else
                {
                    Ref.Losses.SparseCrossEntropy(y, t, loss, probs, rows, _classes, !_fromProbabilities, Options.Epsilon);
                    Ref.Losses.SparseCrossEntropyBackward(y, probs, t, dloss, dy, rows, _classes, !_fromProbabilities, Options.Epsilon);
                }

                break;
            case TrainingLoss.MeanSquaredError:
                if (_simd)
                {
                    Simd.Losses.MeanSquaredError(y, t, loss, rows, _classes);
                    Simd.Losses.MeanSquaredErrorBackward(y, t, dloss, dy, rows, _classes);
                }
                else
                {
                    Ref.Losses.MeanSquaredError(y, t, loss, rows, _classes);
                    Ref.Losses.MeanSquaredErrorBackward(y, t, dloss, dy, rows, _classes);
                }

                break;
            case TrainingLoss.HuberAtAction:
                // A gather and a clamp per row: nothing for vectors to do, one kernel serves both variants.
                Ref.Losses.HuberAtAction(y, t, loss, rows, _classes, Options.HuberDelta);
                Ref.Losses.HuberAtActionBackward(y, t, dloss, dy, rows, _classes, Options.HuberDelta);
                break;
            default:
                if (_simd)
                {
                    Simd.Losses.Huber(y, t, loss, rows, _classes, Options.HuberDelta, _arena.Data.AsSpan(_lossScratchAt, _classes));
                    Simd.Losses.HuberBackward(y, t, dloss, dy, rows, _classes, Options.HuberDelta);
                }
                else
                {
                    Ref.Losses.Huber(y, t, loss, rows, _classes, Options.HuberDelta);
                    Ref.Losses.HuberBackward(y, t, dloss, dy, rows, _classes, Options.HuberDelta);
                }

                break;
        }

        return TensorPrimitives.Sum<float>(loss) / rows;
    }

    /// <summary>Checks every gradient is finite, clips (Keras clipnorm / global_clipnorm) and updates the trainable weights.</summary>
    private void ApplyGradients()
    {
        double global = 0;
        for (int i = 0; i < _trainable.Length; i++)
        {
            var g = _arena.ParamGrad(_trainable[i]);
            double s = TensorPrimitives.SumOfSquares<float>(g);
            if (!double.IsFinite(s))
            {
                int bad = 0;
                foreach (float v in g)
                {
                    bad += float.IsFinite(v) ? 0 : 1;
                }

                // An infinite sum of squares from finite values is an overflow of float: recompute in double.
                if (bad == 0)
                {
                    s = 0;
                    foreach (float v in g)
                    {
                        s += (double)v * v;
                    }
                }
                else
                {
                    throw new NonFiniteGradientException(
                        $"{_blob.FileName}: the gradient of '{_trainable[i].Name}' has {bad} NaN or infinite values at step {Steps + 1}; no weight was changed. " +
                        "Fix: lower the learning rate, check the inputs and targets for NaN or out-of-range values, or set a clip norm");
                }
            }

            _norms[i] = s;
            global += s;
        }

        global = Math.Sqrt(global);
        Steps++;
        double t = Steps;
        float lrT = (float)(Options.LearningRate * Math.Sqrt(1 - Math.Pow(Options.Beta2, t)) / (1 - Math.Pow(Options.Beta1, t)));
        for (int i = 0; i < _trainable.Length; i++)
        {
            var p = _trainable[i];
            var g = _arena.ParamGrad(p);
            double scale = 1;
            if (Options.GlobalClipNorm is { } gc && global > gc)
            {
                scale = gc / global;
            }

            if (Options.ClipNorm is { } c && Math.Sqrt(_norms[i]) * scale > c)
            {
                scale = c / Math.Sqrt(_norms[i]);
            }

            if (scale != 1)
            {
                TensorPrimitives.Multiply(g, (float)scale, g);
            }

            if (Options.Optimizer == TrainingOptimizer.Adam)
            {
                OptimizerUpdates.Adam(_arena.Param(p), g, _arena.Slot(p, 0), _arena.Slot(p, 1), lrT, Options.Beta1, Options.Beta2, Options.Epsilon);
            }
            else
            {
                OptimizerUpdates.Sgd(_arena.Param(p), g, p.Slot0 >= 0 ? _arena.Slot(p, 0) : default, Options.LearningRate, Options.Momentum, Options.Nesterov);
            }
        }
    }

    /// <summary>
    /// The forward pass over the first <paramref name="batch"/> samples of <see cref="Input"/>, widening each value's
    /// observed range (by the blob graph's value index): the calibration of an int8 re-quantization.
    /// </summary>
    public void Observe(int batch, Span<float> min, Span<float> max)
    {
        CheckBatch(batch);
        if (min.Length < Values.Count || max.Length < Values.Count)
        {
            throw new ArgumentException($"ranges for {Values.Count} values are needed; got {min.Length} and {max.Length}");
        }

        using var cap = new Simd.Gemm.ThreadCapScope(Options.Threads);
        if (_body is { } body)
        {
            // The body's values as its interpreter computes them (calibration allocates; a step does not).
            float[] lo = min.ToArray(), hi = max.ToArray();
            body.InvokeObserving(batch, (v, x) => Widen(v, x, lo, hi));
            lo.CopyTo(min);
            hi.CopyTo(max);
            body.Output(batch).CopyTo(_arena.Value(_input, batch));
        }
        else
        {
            Widen(_input, batch, min, max);
        }

        for (int i = 0; i < _ops.Length; i++)
        {
            _ops[i].Forward(_arena, batch, _simd);
            Widen(_ops[i].Y, batch, min, max);
        }
    }

    private void Widen(ValueSlot v, int batch, Span<float> min, Span<float> max) => Widen(v.Index, _arena.Value(v, batch), min, max);

    private static void Widen(int index, ReadOnlySpan<float> x, Span<float> min, Span<float> max)
    {
        min[index] = Math.Min(min[index], TensorPrimitives.Min<float>(x));
        max[index] = Math.Max(max[index], TensorPrimitives.Max<float>(x));
    }

    /// <summary>The frozen body forward (inference kernels) into the head's input.</summary>
    private void RunBody(int batch)
    {
        if (_body is { } body)
        {
            body.Invoke(batch);
            body.Output(batch).CopyTo(_arena.Value(_input, batch));
        }
    }
}
