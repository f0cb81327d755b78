using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Enb;

namespace EdgeNet.Formats.Schemes;

/// <summary>One weight of a float graph: its tensor name, shape and values.</summary>
internal sealed record FloatWeight(string Name, int[] Shape, float[] Data)
{
    public long[] Dims => Array.ConvertAll(Shape, d => (long)d);
}

/// <summary>One operator of a float graph: its value inputs (one, or two for add), then the weights in the contract's input order.</summary>
internal sealed record FloatNode(OperatorSchema Op, int[] Xs, int[] Weights, int Output, IReadOnlyList<KeyValuePair<string, EnbValue>> Attributes, string Layer)
{
    /// <summary>The first value input.</summary>
    public int X => Xs[0];

    /// <summary>The attribute's value or the contract's default.</summary>
    public EnbValue Attr(AttributeSpec a) => Op.Value(Attributes, a);
}

/// <summary>
/// A model as float values, weights and operators in execution order: what the trainer's traced export
/// and a blob fine-tuned on the board both describe, and what <see cref="SchemeBuilder"/> writes as an
/// f32, f16 or int8 blob. Value dims carry −1 for the batch.
/// </summary>
internal sealed class FloatGraph
{
    public List<(string Name, int[] Dims)> Values { get; } = [];

    public List<FloatWeight> Weights { get; } = [];

    public List<FloatNode> Nodes { get; } = [];

    public int Input { get; set; }

    public int Output { get; set; }
}
