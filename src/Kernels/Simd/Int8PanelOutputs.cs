using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeNet.Kernels.Simd;

/// <summary>
/// Where the AVX-512 int8 micro-kernels put a row of finished sums: requantized in the registers
/// (<see cref="LayerRequant16"/>) and stored as int8 at y + r·ldy (y and scales point at the panel's first channel;
/// the table pads its scales to whole 32-channel panels). A partial panel's bytes past nr are masked off, neither
/// written nor touched.
/// </summary>
internal readonly unsafe struct RequantRows(sbyte* y, int ldy, float* scales, int zeroPoint, int lo, int hi)
{
    private readonly LayerRequant16 _q = new(zeroPoint, lo, hi);

    /// <summary>Row r of a 32-channel panel: s0 channels [0, 16), s1 [16, 32), of which the first nr are the layer's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(int r, Vector512<int> s0, Vector512<int> s1, int nr)
    {
        sbyte* dst = y + ((long)r * ldy);
        // s0, s1 [16] int32 → dst [nr ≤ 32] int8.
        if (nr <= 16)
        {
            Store(r, s0, nr);
            return;
        }

        Vector128.Store(_q.Codes(s0, Vector512.Load(scales)), dst);
        LayerRequant16.Store(dst + 16, _q.Codes(s1, Vector512.Load(scales + 16)), nr - 16);
    }

    /// <summary>
    /// Rows r and r + 1 of a panel of at most 8 channels (the quarter kernel): sa, sb [16] int32, channel c's sum split
    /// between lanes 2c and 2c + 1 → [nr ≤ 8] int8 each.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store8(int r, Vector512<int> sa, Vector512<int> sb, int nr)
    {
        var codes = Codes8(sa, sb);
        sbyte* dst = y + ((long)r * ldy);
        if (nr == 8)
        {
            Sse2.StoreLow((double*)dst, codes.AsDouble());
            Sse2.StoreHigh((double*)(dst + ldy), codes.AsDouble());
        }
        else
        {
            LayerRequant16.Store(dst, codes, nr);
            LayerRequant16.Store(dst + ldy, Sse2.ShiftRightLogical128BitLane(codes, 8), nr);
        }
    }

    /// <summary>Row r alone of <see cref="Store8(int, Vector512{int}, Vector512{int}, int)"/>: s [16] int32 → [nr ≤ 8] int8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store8(int r, Vector512<int> s, int nr) => LayerRequant16.Store(y + ((long)r * ldy), Codes8(s, s), nr);

    /// <summary>
    /// Two quarter-panel rows' codes: sa, sb [16] int32 with channel c's sum split between lanes 2c and 2c + 1 → [16]
    /// int8, sa's 8 channels then sb's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<sbyte> Codes8(Vector512<int> sa, Vector512<int> sb)
    {
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var sums = Avx512F.PermuteVar16x32x2(sa, even, sb) + Avx512F.PermuteVar16x32x2(sa, even + Vector512<int>.One, sb);
        return _q.Codes(sums, Vector512.Create(Vector256.Load(scales)));
    }

    /// <summary>Row r of a panel of at most 16 channels (the half kernel): s0 [16] int32 → [nr ≤ 16] int8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(int r, Vector512<int> s0, int nr)
    {
        LayerRequant16.Store(y + ((long)r * ldy), _q.Codes(s0, Vector512.Load(scales)), nr);
    }
}
