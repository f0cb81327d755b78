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

    /// <summary>Row r of a panel of at most 16 channels (the half kernel): s0 [16] int32 → [nr ≤ 16] int8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(int r, Vector512<int> s0, int nr)
    {
        LayerRequant16.Store(y + ((long)r * ldy), _q.Codes(s0, Vector512.Load(scales)), nr);
    }
}
