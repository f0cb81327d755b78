using EdgeNet.Formats.Enb;

namespace EdgeNet.Formats.Contract;

/// <summary>
/// The float meaning of the contract's element-wise activations (docs/format.md, "Operators"): what an f32 blob's
/// operator computes and what an int8 blob's lookup table was built from (<see cref="Int8Arithmetic.LookupTable"/>).
/// The kernels compute the same formulas in their own twins (EdgeNet.Kernels depends on no other EdgeNet project);
/// golden tests hold them together.
/// </summary>
internal static class ElementwiseFunctions
{
    /// <summary>min(max(x/6 + 1/2, 0), 1): PyTorch's Hardsigmoid, Keras 3's hard_sigmoid, ONNX HardSigmoid with α 1/6, β 1/2.</summary>
    public static float HardSigmoid(float x) => Math.Clamp((x * (1f / 6f)) + 0.5f, 0f, 1f);

    /// <summary>x · hard_sigmoid(x): PyTorch's Hardswish, Keras 3's hard_silu (hard_swish).</summary>
    public static float HardSwish(float x) => x * HardSigmoid(x);

    /// <summary>1 / (1 + e^−x).</summary>
    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    /// <summary>x · sigmoid(x): SiLU, swish.</summary>
    public static float Silu(float x) => x * Sigmoid(x);

    /// <summary>The element-wise function of an activation operator that has an int8 lookup-table form, or null.</summary>
    public static Func<float, float>? Of(Opcode op) => op switch
    {
        Opcode.Relu => x => Math.Max(x, 0f),
        Opcode.Tanh => MathF.Tanh,
        Opcode.Sigmoid => Sigmoid,
        Opcode.HardSigmoid => HardSigmoid,
        Opcode.HardSwish => HardSwish,
        Opcode.Silu => Silu,
        _ => null,
    };
}
