using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeNet.Kernels.Simd;

/// <summary>
/// Where the AVX-512 int8 micro-kernel puts a row of its finished accumulators (32 channels, two vectors): int32
/// sums for a later pass (<see cref="AccRows"/>), or int8 outputs requantized in the registers
/// (<see cref="RequantRows"/>). A struct per panel, so the JIT compiles one kernel per sink and the call inlines.
/// </summary>
internal interface IInt8PanelOut
{
    /// <summary>Row r of the panel: s0 channels [0, 16), s1 [16, 32), of which the first nr are this layer's.</summary>
    void Store(int r, Vector512<int> s0, Vector512<int> s1, int nr);
}

/// <summary>The int32 sums: row r at acc + r·ldo (acc points at the panel's first channel).</summary>
internal readonly unsafe struct AccRows(int* acc, int ldo) : IInt8PanelOut
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(int r, Vector512<int> s0, Vector512<int> s1, int nr) => PanelStore.Two(acc + ((long)r * ldo), s0, s1, nr);
}

/// <summary>
/// A panel's outputs requantized as they leave the registers (<see cref="RequantTable.Requantize16"/>, the f32 layer
/// requantization): row r at y + r·ldy (y points at the panel's first channel), scales [32] the panel's (the table
/// pads them to whole panels); a partial panel's bytes past nr are masked off, neither written nor touched.
/// </summary>
internal readonly unsafe struct RequantRows(sbyte* y, int ldy, float* scales, int zeroPoint, int lo, int hi) : IInt8PanelOut
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(int r, Vector512<int> s0, Vector512<int> s1, int nr)
    {
        var zp = Vector512.Create(zeroPoint);
        var lov = Vector512.Create((float)(lo - zeroPoint));
        var hiv = Vector512.Create((float)(hi - zeroPoint));
        sbyte* dst = y + ((long)r * ldy);
        // s0, s1 [16] int32 → dst [nr ≤ 32] int8.
        var q0 = Avx512F.ConvertToVector128SByte(RequantTable.Requantize16(s0, Vector512.Load(scales), zp, lov, hiv));
        var q1 = Avx512F.ConvertToVector128SByte(RequantTable.Requantize16(s1, Vector512.Load(scales + 16), zp, lov, hiv));
        if (nr == 32)
        {
            Vector128.Store(q0, dst);
            Vector128.Store(q1, dst + 16);
        }
        else if (nr >= 16)
        {
            Vector128.Store(q0, dst);
            Avx512BW.VL.MaskStore(dst + 16, Vector128.LessThan(Vector128<sbyte>.Indices, Vector128.Create((sbyte)(nr - 16))), q1);
        }
        else
        {
            Avx512BW.VL.MaskStore(dst, Vector128.LessThan(Vector128<sbyte>.Indices, Vector128.Create((sbyte)nr)), q0);
        }
    }
}
