using System.Diagnostics;
using EdgeNet.Formats.Enb;
using EdgeNet.Runtime.Ops;
using EdgeNet.Runtime.Threading;

namespace EdgeNet.Runtime;

/// <summary>Running: a batch up to <see cref="SubBatch"/> on the arena, a larger one in sub-batches on every thread's arena.</summary>
public sealed unsafe partial class Interpreter
{
    /// <summary>Runs the graph on the first <paramref name="batch"/> samples of <see cref="Input"/>. Allocates nothing.</summary>
    public void Invoke(int batch = 1) => InvokeTimed(batch, null);

    /// <summary>
    /// Invoke that adds each operator's elapsed ticks into <paramref name="ticks"/> (for bench --profile). A batch that
    /// runs in sub-batches on several threads adds each operator's mean over the threads' arenas.
    /// </summary>
    public void InvokeProfiled(int batch, long[] ticks)
    {
        ArgumentNullException.ThrowIfNull(ticks);
        InvokeTimed(batch, ticks.Length >= _kernels.Length ? ticks : throw new ArgumentException($"needs {_kernels.Length} entries, one per operator", nameof(ticks)));
    }

    private void InvokeTimed(int batch, long[]? ticks)
    {
        CheckBatch(batch);
        _pool.Enter();
        try
        {
            if (batch <= SubBatch)
            {
                // One piece on arena 0 with every thread on each operator (staged in and out when the input lives outside).
                if (_stagedInput is not null)
                {
                    StageIn(_arena, 0, batch);
                }

                Run(_arena, batch, _pool, ticks);
                if (_stagedOutput is not null)
                {
                    StageOut(_arena, 0, batch);
                }
            }
            else
            {
                _subBatches!.Begin(ticks);
                _pool.For(_subBatches, new Frame(null, null, batch));
                _subBatches.End(ticks);
            }
        }
        finally
        {
            _pool.Leave();
        }
    }

    /// <summary>Every operator in order on <paramref name="arena"/> at <paramref name="batch"/> (at most <see cref="SubBatch"/>).</summary>
    private void Run(byte* arena, int batch, WorkerPool pool, long[]? ticks)
    {
        for (int i = 0; i < _kernels.Length; i++)
        {
            if (_kernels[i].ComputedBy is not null)
            {
                continue;   // a depthwise convolution computes this one band by band (its producer before it, its consumer after)
            }

            long t0 = ticks is null ? 0 : Stopwatch.GetTimestamp();
            _kernels[i].Eval(arena, arena + _scratchOffsets[i], batch, pool);
            if (ticks is not null)
            {
                ticks[i] += Stopwatch.GetTimestamp() - t0;
            }
        }
    }

    /// <summary>Samples [<paramref name="first"/>, +<paramref name="count"/>) of the staged input into <paramref name="arena"/>'s input.</summary>
    private void StageIn(byte* arena, int first, int count)
    {
        long bytes = _input.Bytes(count);
        Buffer.MemoryCopy(_stagedInput!.Pointer + _input.Bytes(first), arena + _input.Offset, bytes, bytes);
    }

    /// <summary><paramref name="arena"/>'s output into samples [<paramref name="first"/>, +<paramref name="count"/>) of the staged output.</summary>
    private void StageOut(byte* arena, int first, int count)
    {
        long bytes = _output.Bytes(count);
        Buffer.MemoryCopy(arena + _output.Offset, _stagedOutput!.Pointer + _output.Bytes(first), bytes, bytes);
    }

    /// <summary>
    /// Invoke that hands each operator's float output to <paramref name="observe"/> (the blob's value index and the
    /// values at <paramref name="batch"/>) right after it is computed, while it is still in the arena (the maps of a
    /// depth-first chain, which have no place there, from whole buffers of their own once the chain has run): the
    /// calibration of an int8 re-quantization sees every activation. Outputs that are not f32 are skipped. A batch above
    /// <see cref="SubBatch"/> is observed one sub-batch at a time (each value once per sub-batch), on one thread.
    /// </summary>
    public void InvokeObserving(int batch, Action<int, ReadOnlySpan<float>> observe)
    {
        ArgumentNullException.ThrowIfNull(observe);
        CheckBatch(batch);
        for (int first = 0; first < batch; first += SubBatch)
        {
            int count = Math.Min(SubBatch, batch - first);
            if (_stagedInput is not null)
            {
                StageIn(_arena, first, count);
            }

            RunObserving(count, observe);
            if (_stagedOutput is not null)
            {
                StageOut(_arena, first, count);
            }
        }
    }

    private void RunObserving(int batch, Action<int, ReadOnlySpan<float>> observe)
    {
        var g = _blob.Graph!;
        observe(_input.Index, new ReadOnlySpan<float>((float*)(_arena + _input.Offset), _input.Elements(batch)));
        for (int i = 0; i < _kernels.Length; i++)
        {
            if (_kernels[i] is DepthwiseConv2DOp { Producer: not null } depthFirst)
            {
                ObserveDepthFirst(depthFirst, i, batch, observe);   // computes and observes the producer's output, its own and the consumer's
                continue;
            }

            if (_kernels[i].ComputedBy is null)
            {
                _kernels[i].Eval(_arena, _arena + _scratchOffsets[i], batch, _pool);
            }
            else if (_bandedMaps.Contains(Values[g.Operators[i].Outputs[0]].Root))
            {
                continue;   // a producer: observed with its depthwise convolution
            }

            var v = Values[g.Operators[i].Outputs[0]];
            if (v.Info.Type == ElementType.F32)
            {
                observe(v.Index, new ReadOnlySpan<float>((float*)(_arena + v.Offset), v.Elements(batch)));
            }
        }
    }

    /// <summary>
    /// A batch above <see cref="SubBatch"/>: thread t takes the t-th share of the samples and runs it on its own arena
    /// a sub-batch at a time (input copied in, every operator on one thread, output copied out).
    /// </summary>
    private sealed class SubBatchWork(Interpreter it) : IParallelWork
    {
        private readonly long[][] _ticks = Array.ConvertAll(it._arenas, _ => new long[it._kernels.Length]);
        private bool _profiled;

        public void Begin(long[]? ticks)
        {
            _profiled = ticks is not null;
            foreach (var t in _ticks)
            {
                Array.Clear(t);
            }
        }

        /// <summary>Adds each operator's mean over the threads.</summary>
        public void End(long[]? ticks)
        {
            for (int i = 0; ticks is not null && i < ticks.Length && i < _ticks[0].Length; i++)
            {
                long sum = 0;
                foreach (var t in _ticks)
                {
                    sum += t[i];
                }

                ticks[i] += sum / _ticks.Length;
            }
        }

        public void Run(in Frame frame, int chunk, int chunks)
        {
            int batch = frame.Batch, n0 = batch * chunk / chunks, n1 = batch * (chunk + 1) / chunks;
            byte* arena = it._arenas[chunk].Pointer;
            for (int first = n0; first < n1; first += it.SubBatch)
            {
                int count = Math.Min(it.SubBatch, n1 - first);
                it.StageIn(arena, first, count);
                it.Run(arena, count, WorkerPool.Inline, _profiled ? _ticks[chunk] : null);
                it.StageOut(arena, first, count);
            }
        }
    }
}
