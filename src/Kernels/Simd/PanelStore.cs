using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgeNet.Kernels.Simd;

/// <summary>
/// Stores one row of a micro-kernel's accumulators (one or two vectors) into an output row of
/// which only <c>nr</c> lanes belong to this panel. Shared by the float and int8 GEMMs. Written
/// without <c>stackalloc</c> so the JIT inlines it: a call after the k loop would make it keep the
/// accumulators in memory through the loop.
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

        for (int j = 0; j < nr; j++)
        {
            dst[j] = j < n ? v0.GetElement(j) : v1.GetElement(j - n);
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

        for (int j = 0; j < nr; j++)
        {
            dst[j] = j < n ? v0.GetElement(j) : v1.GetElement(j - n);
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

        for (int j = 0; j < nr; j++)
        {
            dst[j] = j < n ? v0.GetElement(j) : v1.GetElement(j - n);
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

        for (int j = 0; j < nr; j++)
        {
            dst[j] = v.GetElement(j);
        }
    }
}
