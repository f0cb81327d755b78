using System.Runtime.InteropServices;
using EdgeNet.Formats.Enb;
using EdgeNet.Runtime.Ops;

namespace EdgeNet.Runtime;

/// <summary>Depth-first pairs: a convolution whose large output only a depthwise convolution reads runs inside it, band by band.</summary>
public sealed unsafe partial class Interpreter
{
    /// <summary>
    /// The output bytes per sample from which a convolution runs depth-first inside the depthwise convolution that reads
    /// it (<see cref="InterpreterOptions.DepthFirst"/>): three quarters of a 2 MB L2. MobileNetV2 224² f32 has four
    /// such maps (Conv1's 112×112×32, block_1_expand's 112×112×96, block_2's and block_3's 56×56×144); in int8 the
    /// largest (block_1's, 1.2 MB) stays whole: it fits L2, and in bands it measured slower (415–720 µs against 450–540).
    /// </summary>
    public const long DepthFirstBytes = 3L << 19;

    /// <summary>
    /// Pairs operator i (an <see cref="IBandProducer"/>) with i + 1 (a depthwise convolution) where i's output has no other
    /// reader and is not the graph's output, and hands i + 1's output to i + 2 band by band where that is a pointwise
    /// convolution under the same conditions (MobileNetV2's expansion, depthwise and projection run as one).
    /// </summary>
    private void PlanDepthFirst(GraphDef g, InterpreterOptions options)
    {
        if (!options.DepthFirst || options.Variant != KernelVariant.Simd)
        {
            return;
        }

        var readers = new Dictionary<int, int>();
        foreach (var op in g.Operators)
        {
            foreach (var r in op.ValueInputs())
            {
                int root = Values[r.Index].Root;
                readers[root] = readers.GetValueOrDefault(root) + 1;
            }
        }

        for (int i = 0; i + 1 < _kernels.Length; i++)
        {
            if (_kernels[i].ComputedBy is not null || _kernels[i] is not IBandProducer { ProducesBands: true } producer
                || _kernels[i + 1] is not DepthwiseConv2DOp { CanComputeProducer: true } depthwise)
            {
                continue;
            }

            var mid = Values[g.Operators[i].Outputs[0]];
            if (OnlyReader(g, readers, mid, i + 1) && (options.DepthFirstEveryPair || mid.Bytes(1) >= DepthFirstBytes))
            {
                depthwise.Fuse(producer, options.DepthFirstEveryPair ? 1 : DepthwiseConv2DOp.BandBytes);
                _kernels[i].ComputedBy = depthwise;
                _bandedMaps.Add(mid.Root);
                var own = Values[g.Operators[i + 1].Outputs[0]];
                if (i + 2 < _kernels.Length && _kernels[i + 2] is DenseOp { ConsumesBands: true } consumer && OnlyReader(g, readers, own, i + 2))
                {
                    depthwise.FuseConsumer(consumer);
                    _kernels[i + 2].ComputedBy = depthwise;
                    _bandedMaps.Add(own.Root);
                }
            }
        }
    }

    /// <summary>
    /// The maps depth-first chains never write whole (a producer's output, a depthwise convolution's output that its
    /// consumer takes band by band): no place in the arena; an observed invocation computes them into buffers of its own.
    /// </summary>
    private readonly HashSet<int> _bandedMaps = [];

    /// <summary>
    /// An observed invocation's depth-first chain (producer, depthwise operator <paramref name="i"/>, consumer) over whole
    /// maps in buffers of its own, each f32 value handed to <paramref name="observe"/> as the unbanded operators would.
    /// </summary>
    private void ObserveDepthFirst(DepthwiseConv2DOp depthwise, int i, int batch, Action<int, ReadOnlySpan<float>> observe)
    {
        var g = _blob.Graph!;
        var mid = Values[g.Operators[i - 1].Outputs[0]];
        var own = Values[g.Operators[i].Outputs[0]];
        // 64 readable bytes past each map, as the arena keeps (vector kernels read whole vectors of a last channel group).
        byte* midMap = null, ownMap = null;
        try
        {
            midMap = (byte*)NativeMemory.AlignedAlloc((nuint)(mid.Bytes(batch) + 64), 64);
            ownMap = depthwise.Consumer is null ? _arena + own.Offset : (byte*)NativeMemory.AlignedAlloc((nuint)(own.Bytes(batch) + 64), 64);
            depthwise.EvalWhole(_arena, _arena + _scratchOffsets[i], batch, midMap, ownMap);
            foreach (var (v, map) in new[] { (mid, (nint)midMap), (own, (nint)ownMap) })
            {
                if (v.Info.Type == ElementType.F32)
                {
                    observe(v.Index, new ReadOnlySpan<float>((float*)map, v.Elements(batch)));
                }
            }
        }
        finally
        {
            NativeMemory.AlignedFree(midMap);
            if (depthwise.Consumer is not null)
            {
                NativeMemory.AlignedFree(ownMap);   // null (a failed allocation) frees nothing
            }
        }
    }

    /// <summary>True when operator <paramref name="op"/>'s first input is <paramref name="v"/>, nothing else reads it and it is not the output.</summary>
    private bool OnlyReader(GraphDef g, Dictionary<int, int> readers, ValueSlot v, int op) =>
        g.Operators[op].ValueInputs()[0].Index == v.Index && v.Root == v.Index && readers.GetValueOrDefault(v.Index) == 1 && v.Root != _output.Root;
}
