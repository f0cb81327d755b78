using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeNet.Kernels.Simd;

/// <summary>
/// Stores one row of a micro-kernel's accumulators (one or two vectors) into an output row of
/// which only <c>nr</c> lanes belong to this panel. Shared by the float and int8 GEMMs. Written
/// without <c>stackalloc</c> so the JIT inlines it: a call after the k loop would make it keep the
/// accumulators in memory through the loop. A partial panel is a masked store on x64 (a lane-by-lane loop
/// through a variable GetElement cost MobileNet's 16- and 24-channel projections several times their products).
/// </summary>
internal static unsafe class PanelStore
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Two<T>(T* dst, Vector512<T> v0, Vector512<T> v1, int nr)
        where T : unmanaged
    {
        int n = Vector512<T>.Count;
        if (nr == 2 * n)
        {
            Vector512.Store(v0, dst);
            Vector512.Store(v1, dst + n);
            return;
        }

        if (nr >= n)
        {
            Vector512.Store(v0, dst);
            One(dst + n, v1, nr - n);
        }
        else
        {
            One(dst, v0, nr);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Two<T>(T* dst, Vector256<T> v0, Vector256<T> v1, int nr)
        where T : unmanaged
    {
        int n = Vector256<T>.Count;
        if (nr == 2 * n)
        {
            Vector256.Store(v0, dst);
            Vector256.Store(v1, dst + n);
            return;
        }

        if (nr >= n)
        {
            Vector256.Store(v0, dst);
            One(dst + n, v1, nr - n);
        }
        else
        {
            One(dst, v0, nr);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Two<T>(T* dst, Vector128<T> v0, Vector128<T> v1, int nr)
        where T : unmanaged
    {
        int n = Vector128<T>.Count;
        if (nr == 2 * n)
        {
            Vector128.Store(v0, dst);
            Vector128.Store(v1, dst + n);
            return;
        }

        if (nr >= n)
        {
            Vector128.Store(v0, dst);
            One(dst + n, v1, nr - n);
        }
        else
        {
            One(dst, v0, nr);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void One<T>(T* dst, Vector512<T> v, int nr)
        where T : unmanaged
    {
        if (nr == Vector512<T>.Count)
        {
            Vector512.Store(v, dst);
            return;
        }

        if (Unsafe.SizeOf<T>() == 4 && Avx512F.IsSupported)
        {
            // A masked store: the lanes past nr are neither written nor touched (no fault at a buffer's end).
            Avx512F.MaskStore((int*)dst, Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(nr)), v.AsInt32());
            return;
        }

        for (int j = 0; j < nr; j++)
        {
            dst[j] = v.GetElement(j);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void One<T>(T* dst, Vector256<T> v, int nr)
        where T : unmanaged
    {
        if (nr == Vector256<T>.Count)
        {
            Vector256.Store(v, dst);
            return;
        }

        if (Unsafe.SizeOf<T>() == 4 && Avx2.IsSupported)
        {
            // A masked store: the lanes past nr are neither written nor touched (no fault at a buffer's end).
            Avx2.MaskStore((int*)dst, Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(nr)), v.AsInt32());
            return;
        }

        for (int j = 0; j < nr; j++)
        {
            dst[j] = v.GetElement(j);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void One<T>(T* dst, Vector128<T> v, int nr)
        where T : unmanaged
    {
        if (nr == Vector128<T>.Count)
        {
            Vector128.Store(v, dst);
            return;
        }

        if (Unsafe.SizeOf<T>() == 4 && Avx2.IsSupported)
        {
            // A masked store: the lanes past nr are neither written nor touched (no fault at a buffer's end).
            Avx2.MaskStore((int*)dst, Vector128.LessThan(Vector128<int>.Indices, Vector128.Create(nr)), v.AsInt32());
            return;
        }

        for (int j = 0; j < nr; j++)
        {
            dst[j] = v.GetElement(j);
        }
    }
}
