#!/usr/bin/env python3
"""Writes the register-blocked GEMM micro-kernels of every SIMD width from one template.

    python3 scripts/gen-kernels.py          rewrite src/Kernels/Simd/*.g.cs
    python3 scripts/gen-kernels.py --check  fail if a checked-in file is not what this writes (CI)

Sgemm.MicroKernels.g.cs: the blocked GEMM's (packed A and B) micro-kernels.
PackedGemm.Panels.g.cs: the inference GEMM's panel kernels (B packed once, A through a row source,
bias and ReLU fused): a full two-vector panel, a one-vector tail panel, and two panels at once for
few rows.
Int8Gemm.Panels.g.cs: the int8 GEMM's dot kernels: the pair kernels at 512, 256 and 128 bits (int16 pairs of k:
vpmaddwd, vpdpwssd through AvxVnni at 256 bits; at 128 bits pmaddwd on x64 and smull/smull2/addp on arm64
without SDOT) and the arm64 SDOT kernel (int8 quads of k), all from one template.

One kernel per (vector width, rows): C[rows, 2 vectors] += A-panel x B-panel over kc, the rows
chosen for the registers of the ISA (32 zmm with AVX-512: 12 rows = 24 accumulators; 16 ymm with
AVX2: 6 rows; 16 xmm on x64 SSE: 4 rows; 32 NEON registers on arm64: 8 rows).
"""
import pathlib
import sys

SIMD = pathlib.Path(__file__).resolve().parent.parent / "src/Kernels/Simd"
OUT = SIMD / "Sgemm.MicroKernels.g.cs"
PANELS_OUT = SIMD / "PackedGemm.Panels.g.cs"
INT8_OUT = SIMD / "Int8Gemm.Panels.g.cs"
KERNELS = [(512, 12), (256, 6), (128, 8), (128, 4)]
# PackedGemm (weights packed once, A read in place through a row source): rows per block by width.
PANELS = [(512, 8), (256, 6), (128, 8)]


def kernel(bits: int, rows: int) -> str:
    v = f"Vector{bits}"
    lanes = bits // 32
    nr = 2 * lanes
    name = f"Kernel{rows}x{nr}"
    acc = ", ".join(f"c{i}0 = default, c{i}1 = default" for i in range(rows))
    steps = "".join(
        f"            x = {v}.Create(a[{i}]); c{i}0 = {v}.FusedMultiplyAdd(x, b0, c{i}0); c{i}1 = {v}.FusedMultiplyAdd(x, b1, c{i}1);\n"
        for i in range(rows))
    direct = "".join(f"                {v}.Store(c{i}0 * va, c); {v}.Store(c{i}1 * va, c + {lanes}); c += ldc;\n" for i in range(rows))
    accum = "".join(
        f"                {v}.Store({v}.FusedMultiplyAdd(c{i}0, va, {v}.Load(c) * vb), c); "
        f"{v}.Store({v}.FusedMultiplyAdd(c{i}1, va, {v}.Load(c + {lanes}) * vb), c + {lanes}); c += ldc;\n"
        for i in range(rows))
    tile = "".join(f"        {v}.Store(c{i}0, tile + {i * nr}); {v}.Store(c{i}1, tile + {i * nr + lanes});\n" for i in range(rows))
    return f"""    /// <summary>C[{rows}, {nr}] = alpha · A-panel[kc][{rows}] · B-panel[kc][{nr}] + beta · C: {2 * rows} {v} accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void {name}(int kc, float* a, float* b, float* c, int ldc, int mr, int nr, float alpha, float beta, float* tile)
    {{
        // a: packed [kc][{rows}], b: packed [kc][{nr}], c: [{rows}, {nr}] at stride ldc (clipped to mr x nr), tile: [{rows} * {nr}] scratch
        {v}<float> {acc};
        for (int kk = 0; kk < kc; kk++)
        {{
            var b0 = {v}.Load(b);
            var b1 = {v}.Load(b + {lanes});
            {v}<float> x;
{steps}            a += {rows};
            b += {nr};
        }}

        if (mr == {rows} && nr == {nr})
        {{
            var va = {v}.Create(alpha);
            if (beta == 0)
            {{
{direct}            }}
            else
            {{
                var vb = {v}.Create(beta);
{accum}            }}

            return;
        }}

{tile}        FlushTile(tile, {nr}, c, ldc, mr, nr, alpha, beta);
    }}
"""


def activation(v: str, names: list[str], pad: str) -> str:
    """The fused activation on the accumulators before they are stored: act 1 relu, 4 relu6 (clamped to [0, 6]).
    MaxNative/MinNative are one vmaxps/vminps (the IEEE Max/Min cost three instructions each); with the accumulator
    second, a NaN passes through as on arm64 and in the reference (x64 returns the second operand when one is NaN)."""
    zero, six = v + "<float>.Zero", v + ".Create(6f)"
    inner = pad + "    "
    relus = "\n".join(f"{inner}{n} = {v}.MaxNative({zero}, {n});" for n in names)
    relu6s = "\n".join(f"{inner}{n} = {v}.MinNative({six}, {v}.MaxNative({zero}, {n}));" for n in names)
    return f"{pad}if (act == 1)\n{pad}{{\n{relus}\n{pad}}}\n{pad}else if (act == 4)\n{pad}{{\n{relu6s}\n{pad}}}"


def panel(bits: int, rows: int) -> str:
    v = f"Vector{bits}"
    lanes = bits // 32
    nr = 2 * lanes
    accs = [f"c{i}{j}" for i in range(rows) for j in (0, 1)]
    init = ", ".join(f"c{i}0 = b0v, c{i}1 = b1v" for i in range(rows))
    ptrs = ", ".join(f"a{i} = a.Row(r{'' if i == 0 else f' + {i}'})" for i in range(rows))
    steps = "\n".join(
        f"                {'var x' if i == 0 else 'x'} = {v}.Create(a{i}[o]); c{i}0 = {v}.FusedMultiplyAdd(x, w0, c{i}0); c{i}1 = {v}.FusedMultiplyAdd(x, w1, c{i}1);"
        for i in range(rows))
    stores = "\n".join(f"            PanelStore.Two(c + ((long)(r + {i}) * ldc), c{i}0, c{i}1, nr);" for i in range(rows))
    # x64 AVX-512: the next panel (packed right after this one) is prefetched into L2, a cache line per k step of the
    # row blocks, so a layer whose weights come from L3 or memory (MobileNetV2's 7×7 layers: 49 rows, 0.6–1.6 MB of
    # weights) streams them while it computes instead of waiting for each panel's first row block.
    prefetching = bits == 512
    pf_init = f"\n        float* pf = b + ((long)k * {nr}), pfEnd = pf + ((long)k * {nr});   // the next panel, prefetched into L2" if prefetching else ""
    pf_step = f"""
                if (pf < pfEnd)
                {{
                    System.Runtime.Intrinsics.X86.Sse.Prefetch1(pf);
                    pf += 16;
                }}""" if prefetching else ""
    return f"""    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Panel{bits}<TA>(TA a, int m, int k, float* b, float* bias, int act, float* c, int ldc, int nr)
        where TA : struct, IRowSource<float>
    {{
        // One NR = {nr}-column panel of B ([k][NR], packed) against every row of A; {rows} rows at a time
        // ({2 * rows} accumulators), then the remaining rows one by one. c: [m, nr] at stride ldc.
        var b0v = {v}.Load(bias);
        var b1v = {v}.Load(bias + {lanes});{pf_init}
        int r = 0;
        for (; r + {rows} <= m; r += {rows})
        {{
            {v}<float> {init};
            float* {ptrs};
            float* bp = b;
            for (int p = 0; p < k; p++, bp += {nr})
            {{
                int o = a.Col(p);
                var w0 = {v}.Load(bp);
                var w1 = {v}.Load(bp + {lanes});
{steps}{pf_step}
            }}

{activation(v, accs, "            ")}

{stores}
        }}

        for (; r < m; r++)
        {{
            {v}<float> c00 = b0v, c01 = b1v;
            float* a0 = a.Row(r);
            float* bp = b;
            for (int p = 0; p < k; p++, bp += {nr})
            {{
                int o = a.Col(p);
                var x = {v}.Create(a0[o]);
                c00 = {v}.FusedMultiplyAdd(x, {v}.Load(bp), c00);
                c01 = {v}.FusedMultiplyAdd(x, {v}.Load(bp + {lanes}), c01);
            }}

{activation(v, ["c00", "c01"], "            ")}

            PanelStore.Two(c + ((long)r * ldc), c00, c01, nr);
        }}
    }}
"""


def panel_half(bits: int, rows: int) -> str:
    v = f"Vector{bits}"
    lanes = bits // 32
    nr = 2 * lanes
    accs = [f"c{i}" for i in range(rows)]
    init = ", ".join(f"c{i} = b0v" for i in range(rows))
    ptrs = ", ".join(f"a{i} = a.Row(r{'' if i == 0 else f' + {i}'})" for i in range(rows))
    steps = "\n".join(f"                c{i} = {v}.FusedMultiplyAdd({v}.Create(a{i}[o]), w0, c{i});" for i in range(rows))
    stores = "\n".join(f"            PanelStore.One(c + ((long)(r + {i}) * ldc), c{i}, nr);" for i in range(rows))
    return f"""    /// <summary>The last, at most {lanes}-column panel: one vector per row, so a narrow tail costs half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PanelHalf{bits}<TA>(TA a, int m, int k, float* b, float* bias, int act, float* c, int ldc, int nr)
        where TA : struct, IRowSource<float>
    {{
        // b: one panel [k][{nr}] of which the first {lanes} columns are used; c: [m, nr] at stride ldc.
        var b0v = {v}.Load(bias);
        int r = 0;
        for (; r + {rows} <= m; r += {rows})
        {{
            {v}<float> {init};
            float* {ptrs};
            float* bp = b;
            for (int p = 0; p < k; p++, bp += {nr})
            {{
                int o = a.Col(p);
                var w0 = {v}.Load(bp);
{steps}
            }}

{activation(v, accs, "            ")}

{stores}
        }}

        for (; r < m; r++)
        {{
            var c0 = b0v;
            float* a0 = a.Row(r);
            float* bp = b;
            for (int p = 0; p < k; p++, bp += {nr})
            {{
                int o = a.Col(p);
                c0 = {v}.FusedMultiplyAdd({v}.Create(a0[o]), {v}.Load(bp), c0);
            }}

{activation(v, ["c0"], "            ")}

            PanelStore.One(c + ((long)r * ldc), c0, nr);
        }}
    }}
"""


def two_panels(bits: int) -> str:
    v = f"Vector{bits}"
    lanes = bits // 32
    # x64 AVX-512: few rows (a Dense at batch 1: MobileNetV2's 1280 → 1000, 5 MB of weights) stream the weights once from
    # memory; prefetching 4 KB ahead in both panels keeps more lines in flight than the hardware prefetcher does alone.
    far = """
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(bp + 1024);
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(bp + 1040);
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(bq + 1024);
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(bq + 1040);""" if bits == 512 else ""
    return f"""    /// <summary>Rows one at a time against two adjacent full panels (<see cref="Run{{TA}}"/>, few rows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TwoPanels{bits}<TA>(TA a, int m, int k, float* b, float* bias, int act, float* c, int ldc)
        where TA : struct, IRowSource<float>
    {{
        // b: two panels [2][k][{2 * lanes}] back to back; c: [m, {4 * lanes}] at stride ldc.
        float* b2 = b + ((long)k * 2 * {lanes});
        for (int r = 0; r < m; r++)
        {{
            {v}<float> c0 = {v}.Load(bias), c1 = {v}.Load(bias + {lanes}), c2 = {v}.Load(bias + (2 * {lanes})), c3 = {v}.Load(bias + (3 * {lanes}));
            float* a0 = a.Row(r);
            float* bp = b, bq = b2;
            for (int p = 0; p < k; p++, bp += 2 * {lanes}, bq += 2 * {lanes})
            {{
                var x = {v}.Create(a0[a.Col(p)]);
                c0 = {v}.FusedMultiplyAdd(x, {v}.Load(bp), c0);
                c1 = {v}.FusedMultiplyAdd(x, {v}.Load(bp + {lanes}), c1);
                c2 = {v}.FusedMultiplyAdd(x, {v}.Load(bq), c2);
                c3 = {v}.FusedMultiplyAdd(x, {v}.Load(bq + {lanes}), c3);{far}
            }}

{activation(v, ["c0", "c1", "c2", "c3"], "            ")}

            float* dst = c + ((long)r * ldc);
            {v}.Store(c0, dst);
            {v}.Store(c1, dst + {lanes});
            {v}.Store(c2, dst + (2 * {lanes}));
            {v}.Store(c3, dst + (3 * {lanes}));
        }}
    }}
"""


# Int8Gemm's dot kernels: int32 accumulators, two weight vectors per step, one broadcast group of k's of a row.
#   pair: int16 pairs of k against int16 weights, vpmaddwd (vpdpwssd with AVX-VNNI; at 128 bits Madd128, which is
#     smull/smull2/addp on arm64 without SDOT); rows per block by width (8 at 128 bits: arm64's 32 registers).
#   quad (arm64 SDOT): int8 quads of k against int8 weights, SDOT adds four products per int32 lane.
INT8_PAIRS = [(512, 8), (256, 6), (128, 8)]
INT8_QUAD = (128, 4)


def int8_panel(bits: int, rows: int, quad: bool = False) -> str:
    v = f"Vector{bits}"
    lanes = bits // 32
    if quad:
        elem, as_elem, group, name = "sbyte", "AsSByte", "quads", "PanelDot"
        per_vector = 4 * lanes          # sbytes of one weight vector
        def madd(acc: str, w: str, a: str) -> str:
            return f"{acc} = Dp.DotProduct({acc}, {w}, {a});"
        comment = f"// {rows} rows × {2 * lanes} channels (two vectors) per step; SDOT adds four int8 products per lane."
    else:
        elem, as_elem, group, name = "short", "AsInt16", "pairs", f"Panel{bits}"
        per_vector = 2 * lanes          # shorts of one weight vector
        if bits == 512:
            def madd(acc: str, w: str, a: str) -> str:
                return f"{acc} += Avx512BW.MultiplyAddAdjacent({w}, {a});"
        else:
            def madd(acc: str, w: str, a: str) -> str:
                return f"{acc} = Madd{'128' if bits == 128 else ''}({acc}, {w}, {a});"
        how = "Madd128 (pmaddwd; smull, smull2, addp on arm64)" if bits == 128 else "vpmaddwd"
        comment = f"// {rows} rows × {2 * lanes} channels (two vectors) per step; {how} multiplies one pair of k's per lane."
    step = 2 * per_vector
    accs = ", ".join(f"s{r}0 = bias0v, s{r}1 = bias1v" for r in range(rows))
    xs = ", ".join(f"x{r} = x.Row(r{'' if r == 0 else f' + {r}'})" for r in range(rows))
    body = []
    for r in range(rows):
        first = "var a" if r == 0 else "a"
        body.append(f"                {first} = {v}.Create(*(int*)(x{r} + o)).{as_elem}(); {madd(f's{r}0', 'w0', 'a')} {madd(f's{r}1', 'w1', 'a')}")
    sink = bits == 512 and not quad   # the AVX-512 kernel requantizes as it stores (RequantRows)
    if sink:
        stores = "\n".join(f"            output.Store(r + {r}, s{r}0, s{r}1, nr);" for r in range(rows))
        tail_store = "output.Store(r, s00, s01, nr);"
        generic, out_param, constraint = "<TA>", "RequantRows output", ""
    else:
        stores = "\n".join(f"            PanelStore.Two(accOut + ((long)(r + {r}) * ldo), s{r}0, s{r}1, nr);" for r in range(rows))
        tail_store = "PanelStore.Two(accOut + ((long)r * ldo), s00, s01, nr);"
        generic, out_param, constraint = "<TA>", "int* accOut, int ldo", ""
    tail0 = madd("s00", f"{v}.Load(wp)", "a")
    tail1 = madd("s01", f"{v}.Load(wp + {per_vector})", "a")
    nl = "\n"
    return f"""    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void {name}{generic}(TA x, int rows, int {group}, {elem}* w, int* bias0, {out_param}, int nr)
        where TA : struct, IRowSource<{elem}>{constraint}
    {{
        {comment}
        var bias0v = {v}.Load(bias0);
        var bias1v = {v}.Load(bias0 + {lanes});
        int r = 0;
        for (; r + {rows} <= rows; r += {rows})
        {{
            {v}<int> {accs};
            {elem}* {xs};
            {elem}* wp = w;
            for (int p = 0; p < {group}; p++, wp += {step})
            {{
                int o = x.Col(p);
                var w0 = {v}.Load(wp);
                var w1 = {v}.Load(wp + {per_vector});
{nl.join(body)}
            }}

{stores}
        }}

        for (; r < rows; r++)
        {{
            {v}<int> s00 = bias0v, s01 = bias1v;
            {elem}* x0 = x.Row(r);
            {elem}* wp = w;
            for (int p = 0; p < {group}; p++, wp += {step})
            {{
                int o = x.Col(p);
                var a = {v}.Create(*(int*)(x0 + o)).{as_elem}();
                {tail0}
                {tail1}
            }}

            {tail_store}
        }}
    }}
"""


def int8_half512(rows: int) -> str:
    """AVX-512's last panel when it has at most 16 channels: one weight vector and one accumulator per row."""
    accs = ", ".join(f"s{r} = bias0v" for r in range(rows))
    xs = ", ".join(f"x{r} = x.Row(r{'' if r == 0 else f' + {r}'})" for r in range(rows))
    body = "\n".join(
        f"                s{r} += Avx512BW.MultiplyAddAdjacent(w0, Vector512.Create(*(int*)(x{r} + o)).AsInt16());" for r in range(rows))
    stores = "\n".join(f"            output.Store(r + {r}, s{r}, nr);" for r in range(rows))
    return f"""    /// <summary>The last panel when it has at most 16 channels (MobileNet's 8-, 16- and 48-channel layers): the first weight vector only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PanelHalf512<TA>(TA x, int rows, int pairs, short* w, int* bias0, RequantRows output, int nr)
        where TA : struct, IRowSource<short>
    {{
        // {rows} rows × 16 channels (one vector) per step; w: a panel [pairs][32][2] of which channels 0..15 are used.
        var bias0v = Vector512.Load(bias0);
        int r = 0;
        for (; r + {rows} <= rows; r += {rows})
        {{
            Vector512<int> {accs};
            short* {xs};
            short* wp = w;
            for (int p = 0; p < pairs; p++, wp += 64)
            {{
                int o = x.Col(p);
                var w0 = Vector512.Load(wp);
{body}
            }}

{stores}
        }}

        for (; r < rows; r++)
        {{
            var s0 = bias0v;
            short* x0 = x.Row(r);
            short* wp = w;
            for (int p = 0; p < pairs; p++, wp += 64)
            {{
                s0 += Avx512BW.MultiplyAddAdjacent(Vector512.Load(wp), Vector512.Create(*(int*)(x0 + x.Col(p))).AsInt16());
            }}

            output.Store(r, s0, nr);
        }}
    }}
"""


def int8_quarter512(rows: int) -> str:
    """AVX-512's last panel when it has at most 8 channels and pairs of k lie side by side in a row: two pairs per vector."""
    accs = ", ".join(f"s{r} = bias0v" for r in range(rows))
    xs = ", ".join(f"x{r} = x.Row(r{'' if r == 0 else f' + {r}'})" for r in range(rows))
    body = "\n".join(
        f"                s{r} += Avx512BW.MultiplyAddAdjacent(w01, Vector512.Create(*(long*)(x{r} + o)).AsInt16());" for r in range(rows))
    odd = "\n".join(
        f"                s{r} += Avx512BW.MultiplyAddAdjacent(w01, Vector512.Create(*(int*)(x{r} + o)).AsInt16());" for r in range(rows))
    stores = "\n".join(f"            output.Store8(r + {r}, s{r}, s{r + 1}, nr);" for r in range(0, rows, 2))
    return f"""    /// <summary>
    /// The last panel when it has at most 8 channels (MobileNetV2 α 0.35's 8-channel projections, a DQN's actions) over
    /// rows whose pair p + 1 follows pair p (<see cref="PairRows"/>): lanes 2c and 2c + 1 hold channel c's sums over the
    /// even and the odd pairs, so one vpmaddwd covers four k's of 8 channels (the half kernel: two k's of 16 lanes, 8 of
    /// them idle); <see cref="RequantRows.Store8(int, Vector512{{int}}, Vector512{{int}}, int)"/> adds each lane pair.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PanelQuarter512<TA>(TA x, int rows, int pairs, short* w, int* bias0, RequantRows output, int nr)
        where TA : struct, IRowSource<short>
    {{
        // {rows} rows × 8 channels × two pairs per step; w: a panel [pairs][32][2] of which channels 0..7 are used.
        var bias0v = Interleave8(Vector256.Load(bias0), Vector256<int>.Zero);
        int r = 0;
        for (; r + {rows} <= rows; r += {rows})
        {{
            Vector512<int> {accs};
            short* {xs};
            short* wp = w;
            int p = 0;
            for (; p + 2 <= pairs; p += 2, wp += 128)
            {{
                int o = x.Col(p);
                var w01 = Interleave8(Vector256.Load(wp).AsInt32(), Vector256.Load(wp + 64).AsInt32()).AsInt16();
{body}
            }}

            if (p < pairs)
            {{
                int o = x.Col(p);
                var w01 = Interleave8(Vector256.Load(wp).AsInt32(), Vector256<int>.Zero).AsInt16();
{odd}
            }}

{stores}
        }}

        for (; r < rows; r++)
        {{
            var s0 = bias0v;
            short* x0 = x.Row(r);
            short* wp = w;
            int p = 0;
            for (; p + 2 <= pairs; p += 2, wp += 128)
            {{
                var w01 = Interleave8(Vector256.Load(wp).AsInt32(), Vector256.Load(wp + 64).AsInt32()).AsInt16();
                s0 += Avx512BW.MultiplyAddAdjacent(w01, Vector512.Create(*(long*)(x0 + x.Col(p))).AsInt16());
            }}

            if (p < pairs)
            {{
                var w01 = Interleave8(Vector256.Load(wp).AsInt32(), Vector256<int>.Zero).AsInt16();
                s0 += Avx512BW.MultiplyAddAdjacent(w01, Vector512.Create(*(int*)(x0 + x.Col(p))).AsInt16());
            }}

            output.Store8(r, s0, nr);
        }}
    }}
"""


HEADER = """// <auto-generated>
// Written by scripts/gen-kernels.py from one template; edit the script, not this file.
// CI runs `python3 scripts/gen-kernels.py --check` and fails when the two differ.
// </auto-generated>
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgeNet.Kernels.Simd;

"""


def panels_source() -> str:
    parts = [panel(bits, rows) for bits, rows in PANELS]
    parts += [panel_half(bits, rows) for bits, rows in PANELS]
    parts += [two_panels(bits) for bits, _ in PANELS]
    return HEADER + "internal static unsafe partial class PackedGemm\n{\n" + "\n".join(parts) + "}\n"


def int8_source() -> str:
    parts = [int8_panel(bits, rows) for bits, rows in INT8_PAIRS] + [int8_half512(16), int8_quarter512(16), int8_panel(*INT8_QUAD, quad=True)]
    return HEADER.replace("using System.Runtime.Intrinsics;\n", "using System.Runtime.Intrinsics;\nusing System.Runtime.Intrinsics.Arm;\nusing System.Runtime.Intrinsics.X86;\n") + "internal static unsafe partial class Int8Gemm\n{\n" + "\n".join(parts) + "}\n"


def source() -> str:
    body = "\n".join(kernel(bits, rows) for bits, rows in KERNELS)
    return f"""// <auto-generated>
// Written by scripts/gen-kernels.py from one template; edit the script, not this file.
// CI runs `python3 scripts/gen-kernels.py --check` and fails when the two differ.
// </auto-generated>
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgeNet.Kernels.Simd;

internal static unsafe partial class Gemm
{{
{body}}}
"""


def main() -> int:
    outputs = {OUT: source(), PANELS_OUT: panels_source(), INT8_OUT: int8_source()}
    if "--check" in sys.argv:
        stale = [path for path, text in outputs.items() if not path.exists() or path.read_text() != text]
        for path in stale:
            print(f"{path} is not what scripts/gen-kernels.py writes: run python3 scripts/gen-kernels.py and commit", file=sys.stderr)
        if not stale:
            print(", ".join(path.name for path in outputs) + ": current")
        return 1 if stale else 0
    if "--stdout" in sys.argv:
        print(outputs[INT8_OUT])
        return 0
    for path, text in outputs.items():
        path.write_text(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
