/*
 * The int8 GEMM's AVX-512 panel kernel with AVX512-VNNI (vpdpwssd: one instruction for the pair multiply-add that
 * vpmaddwd + vpaddd take two for), which .NET 10 does not expose for 512-bit registers. scripts/gen-vnni.py compiles
 * this file and checks its machine code into src/Kernels/Simd/Int8Vnni.Code.g.cs; Int8Vnni.cs maps it executable.
 *
 * Self-contained by construction: no calls, no data (every constant is an argument or made from one), so the .text
 * bytes run wherever they are mapped (the generator refuses an object file with relocations). System V AMD64 ABI.
 *
 * y = requantized (bias + x·w) for rows [0, rows) of one 32-channel panel, exactly as Int8Gemm.Panel512 with
 * RequantRows.Store: the sums in int32 (vpdpwssd wraps like vpaddd), then f32(acc)·scale clamped to [lo − zp, hi − zp],
 * rounded to even, plus zp, narrowed (the values are in range).
 *   x:      int16 activations; row r at x + (rowOff ? rowOff[r] : r·lda), pair p of a row at + (colOff ? colOff[p] : 2p)
 *   w:      [pairs][32 channels][2] int16, bias: [32] int32, scales: [32] f32
 *   y:      int8 rows at y + r·ldy, of which the first nr (1..32) channels are stored; loCode, hiCode: the clamp in
 *           codes (the activation's range)
 * A panel of at most 16 channels goes 16 rows at a time with one accumulator a row (Int8Gemm.PanelHalf512's blocking);
 * of at most 8 over row-major pairs (no column table), two pairs of k a vector (PanelQuarter512's).
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

/* A row's pair of int16 at p as one int32 (p is only 2-byte aligned: memcpy says so; GCC makes it one load). */
static inline int32_t pair_at(const int16_t* p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline __m128i codes(__m512i acc, __m512 scale, __m512 lo, __m512 hi, __m512i zp)
{
    __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), scale);
    v = _mm512_min_ps(hi, _mm512_max_ps(lo, v));
    return _mm512_cvtepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(v), zp));
}

/*
 * Four vectors of 16 sums → 64 codes: a's 16, then b's, c's, d's (each a row's or a pixel's channels), the same codes as
 * codes() with one operation in four fewer: f32(acc)·scale capped at hi − zp (so no conversion overflows upward),
 * rounded to even, packed to int16 with saturation, plus zp (saturating), packed to int8 with saturation, clamped to
 * [lo, hi] in codes — a value below lo − zp stays at or below lo through every saturation, so the floor needs no float
 * max. The packs interleave their sources by 128-bit lane; perm (the dword indices 0, 4, 8, 12, 1, 5, …, an argument:
 * the kernels carry no data) gathers each source's 16 bytes.
 */
static inline __m512i codes4(__m512i a, __m512i b, __m512i c, __m512i d, __m512 sa, __m512 sb, __m512 sc, __m512 sd,
    __m512 hi, __m512i zp16, __m512i lo8, __m512i hi8, __m512i perm)
{
    __m512i ia = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(a), sa), hi));
    __m512i ib = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(b), sb), hi));
    __m512i ic = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(c), sc), hi));
    __m512i id = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(d), sd), hi));
    __m512i ab = _mm512_adds_epi16(_mm512_packs_epi32(ia, ib), zp16);
    __m512i cd = _mm512_adds_epi16(_mm512_packs_epi32(ic, id), zp16);
    __m512i q = _mm512_min_epi8(_mm512_max_epi8(_mm512_packs_epi16(ab, cd), lo8), hi8);
    return _mm512_permutexvar_epi32(perm, q);
}

#define ROW(i) const int16_t* x##i = x + (rowOff ? rowOff[r + i] : (int64_t)(r + i) * lda);
#define ACC(i) __m512i s##i##0 = b0, s##i##1 = b1;
#define STEP(i) { __m512i a = _mm512_set1_epi32(pair_at(x##i + o)); \
    s##i##0 = _mm512_dpwssd_epi32(s##i##0, a, w0); s##i##1 = _mm512_dpwssd_epi32(s##i##1, a, w1); }
#define STORE(i) { int8_t* d = y + (int64_t)(r + i) * ldy; \
    _mm_storeu_si128((__m128i*)d, codes(s##i##0, sc0, lo, hi, zpv)); \
    _mm_mask_storeu_epi8(d + 16, tail, codes(s##i##1, sc1, lo, hi, zpv)); }
#define R1(X) X(0)
#define R8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define R16(X) R8(X) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
#define HACC(i) __m512i s##i = b0;
#define HSTEP(i) s##i = _mm512_dpwssd_epi32(s##i, _mm512_set1_epi32(pair_at(x##i + o)), w0);
#define HSTORE(i) _mm_mask_storeu_epi8(y + (int64_t)(r + i) * ldy, mask, codes(s##i, sc0, lo, hi, zpv));

/*
 * Rows r.. of a panel from their units of k to their stores — a unit is a pair of int16 (vpdpwssd) or a quad of uint8
 * (vpdpbusd): four bytes of a row per lane, 128 bytes of weights for the panel's 32 channels. RN the rows (R8 or R16
 * for a block, R1 for one more row); ROWM the rows' pointers; ACCM, STEPM, STOREM the form's accumulators,
 * multiply-adds and stores (the 32-channel form's, or the half form's, which leaves w1 unread); UNITS the count, OFFSET
 * unit u's offset in a row (in the row's elements).
 */
#define UNIT_ROWS(RN, ROWM, ACCM, STEPM, STOREM, UNITS, OFFSET) \
    RN(ROWM) \
    RN(ACCM) \
    const char* wp = (const char*)w; \
    for (int u = 0; u < UNITS; u++, wp += 128) \
    { \
        int64_t o = OFFSET; \
        __m512i w0 = _mm512_loadu_si512(wp), w1 = _mm512_loadu_si512(wp + 64); \
        (void)w1; \
        RN(STEPM) \
    } \
    RN(STOREM)

/* The pair kernel's rows: pair u at colOff[u] (the convolution's taps) or 2u. */
#define PANEL_ROWS(RN, ACCM, STEPM, STOREM) UNIT_ROWS(RN, ROW, ACCM, STEPM, STOREM, pairs, colOff ? colOff[u] : 2 * (int64_t)u)

/* 8 int32 a and 8 b as a[0], b[0], a[1], b[1], …, a[7], b[7] (Int8Gemm.Interleave8): each a[i] zero-extended to 64
 * bits, b[i] shifted into the high half (no index vector: a constant would be data). */
static inline __m512i interleave8(__m256i a, __m256i b)
{
    return _mm512_or_si512(_mm512_cvtepu32_epi64(a), _mm512_slli_epi64(_mm512_cvtepu32_epi64(b), 32));
}

/* Rows r and r + 1 of a quarter panel (RequantRows.Store8): channel c's sum split between lanes 2c and 2c + 1 of sa
 * (row r) and sb (row r + 1); the scales of the 8 channels in both halves of sc8. */
static inline void quarter_store(__m512i sa, __m512i sb, __m512 sc8, __m512 lo, __m512 hi, __m512i zpv, int8_t* d,
    int64_t ldy, int nr, int two)
{
    /* each 64-bit lane's two halves added into its low half, the low halves of sa then sb packed (vpmovqd) */
    __m256i a = _mm512_cvtepi64_epi32(_mm512_add_epi32(sa, _mm512_srli_epi64(sa, 32)));
    __m256i b = _mm512_cvtepi64_epi32(_mm512_add_epi32(sb, _mm512_srli_epi64(sb, 32)));
    __m512i sums = _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1);
    __m128i c = codes(sums, sc8, lo, hi, zpv);
    const __mmask16 mask = (__mmask16)((1u << nr) - 1u);
    _mm_mask_storeu_epi8(d, mask, c);
    if (two)
    {
        _mm_mask_storeu_epi8(d + ldy, mask, _mm_srli_si128(c, 8));
    }
}

#define QACC(i) __m512i s##i = bq;
#define QSTEP2(i) s##i = _mm512_dpwssd_epi32(s##i, _mm512_set1_epi64(pair2_at(x##i + o)), w01);
#define QSTEP1(i) s##i = _mm512_dpwssd_epi32(s##i, _mm512_set1_epi32(pair_at(x##i + o)), w01);
/*
 * A quarter panel's sums s0.. of the rows RN names (R16 or R1): units of k (pairs or quads, as UNIT_ROWS) two at a time,
 * an odd last one against zeros; ROWM the rows' pointers, STEP2/STEP1 the two-unit and one-unit multiply-adds, PER a
 * unit's elements in a row.
 */
#define UNIT_QUARTER_SUMS(RN, ROWM, STEP2, STEP1, UNITS, PER) \
    RN(ROWM) \
    RN(QACC) \
    const char* wp = (const char*)w; \
    int u = 0; \
    for (; u + 2 <= UNITS; u += 2, wp += 256) \
    { \
        int64_t o = PER * (int64_t)u; \
        __m512i w01 = interleave8(_mm256_loadu_si256((const __m256i*)wp), _mm256_loadu_si256((const __m256i*)(wp + 128))); \
        RN(STEP2) \
    } \
    if (u < UNITS) \
    { \
        int64_t o = PER * (int64_t)u; \
        __m512i w01 = interleave8(_mm256_loadu_si256((const __m256i*)wp), _mm256_setzero_si256()); \
        RN(STEP1) \
    }

#define QUARTER_SUMS(RN) UNIT_QUARTER_SUMS(RN, ROW, QSTEP2, QSTEP1, pairs, 2)

/* Two adjacent pairs of a row as one int64 (the quarter panel's broadcast). */
static inline int64_t pair2_at(const int16_t* p)
{
    int64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/*
 * A quarter panel's rows from their sums to their stores, the sums s0.. made by SUMS (QUARTER_SUMS over pairs,
 * UQUARTER_SUMS over quads) for 16 rows a step, then one at a time; bias, scales, lo, hi, zpv, y, ldy, nr, rows in scope.
 */
#define QUARTER_PANEL(SUMS) \
    const __m512i bq = interleave8(_mm256_loadu_si256((const __m256i*)bias), _mm256_setzero_si256()); \
    const __m256 scales8 = _mm256_loadu_ps(scales); \
    const __m512 sc8 = _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(scales8)), _mm256_castps_pd(scales8), 1)); \
    int r = 0; \
    for (; r + 16 <= rows; r += 16) \
    { \
        SUMS(R16) \
        int8_t* d = y + (int64_t)r * ldy; \
        quarter_store(s0, s1, sc8, lo, hi, zpv, d, ldy, nr, 1); \
        quarter_store(s2, s3, sc8, lo, hi, zpv, d + 2 * ldy, ldy, nr, 1); \
        quarter_store(s4, s5, sc8, lo, hi, zpv, d + 4 * ldy, ldy, nr, 1); \
        quarter_store(s6, s7, sc8, lo, hi, zpv, d + 6 * ldy, ldy, nr, 1); \
        quarter_store(s8, s9, sc8, lo, hi, zpv, d + 8 * ldy, ldy, nr, 1); \
        quarter_store(s10, s11, sc8, lo, hi, zpv, d + 10 * ldy, ldy, nr, 1); \
        quarter_store(s12, s13, sc8, lo, hi, zpv, d + 12 * ldy, ldy, nr, 1); \
        quarter_store(s14, s15, sc8, lo, hi, zpv, d + 14 * ldy, ldy, nr, 1); \
    } \
    for (; r < rows; r++) \
    { \
        SUMS(R1) \
        quarter_store(s0, s0, sc8, lo, hi, zpv, y + (int64_t)r * ldy, ldy, nr, 0); \
    }

/*
 * The panel's first nr <= 8 channels over row-major pairs (Int8Gemm.PanelQuarter512): two pairs of k a vector — lane 2c
 * channel c's even pairs, 2c + 1 its odd ones, the weights of pairs p and p + 1 interleaved, a row's two pairs one
 * 64-bit broadcast — 16 rows a step, the lane pairs added at the store.
 */
static inline void quarter_panel(const int16_t* x, int64_t lda, int rows, int pairs, const int16_t* w, const int32_t* bias,
    const float* scales, __m512 lo, __m512 hi, __m512i zpv, int8_t* y, int64_t ldy, int nr)
{
    const int32_t* rowOff = 0;
    QUARTER_PANEL(QUARTER_SUMS)
}

/* The panel's first nr <= 16 channels: 16 rows × one vector per step. */
static inline void half_panel(const int16_t* x, int64_t lda, const int32_t* rowOff, const int32_t* colOff, int rows,
    int pairs, const int16_t* w, __m512i b0, __m512 sc0, __m512 lo, __m512 hi, __m512i zpv, int8_t* y, int64_t ldy, int nr)
{
    const __mmask16 mask = (__mmask16)((1u << nr) - 1u);
    int r = 0;
    for (; r + 16 <= rows; r += 16)
    {
        PANEL_ROWS(R16, HACC, HSTEP, HSTORE)
    }

    for (; r < rows; r++)
    {
        PANEL_ROWS(R1, HACC, HSTEP, HSTORE)
    }
}

void edgenet_int8_panel_vnni(const int16_t* x, int64_t lda, const int32_t* rowOff, const int32_t* colOff,
    int rows, int pairs, const int16_t* w, const int32_t* bias, const float* scales,
    int8_t* y, int64_t ldy, int nr, int zp, int loCode, int hiCode)
{
    const __m512i b0 = _mm512_loadu_si512(bias);
    const __m512 sc0 = _mm512_loadu_ps(scales);
    const __m512 lo = _mm512_set1_ps((float)(loCode - zp)), hi = _mm512_set1_ps((float)(hiCode - zp));
    const __m512i zpv = _mm512_set1_epi32(zp);
    if (nr <= 8 && !colOff)
    {
        quarter_panel(x, lda, rows, pairs, w, bias, scales, lo, hi, zpv, y, ldy, nr);
        return;
    }

    if (nr <= 16)
    {
        half_panel(x, lda, rowOff, colOff, rows, pairs, w, b0, sc0, lo, hi, zpv, y, ldy, nr);
        return;
    }

    const __m512i b1 = _mm512_loadu_si512(bias + 16);   /* read only for a panel of more than 16 channels */
    const __m512 sc1 = _mm512_loadu_ps(scales + 16);
    const __mmask16 tail = (__mmask16)((1u << (nr - 16)) - 1u);
    int r = 0;
    for (; r + 8 <= rows; r += 8)
    {
        PANEL_ROWS(R8, ACC, STEP, STORE)
    }

    for (; r < rows; r++)
    {
        PANEL_ROWS(R1, ACC, STEP, STORE)
    }
}

/*
 * The same panel over quads of k (vpdpbusd: four uint8 × int8 products summed into an int32 lane, twice the
 * multiply-adds of vpdpwssd per instruction, and half the bytes of int16 pairs in both operands). Row-major rows only.
 *   x:      uint8 rows, the int8 activations + 128 (x ^ 0x80); row r at x + r·lda, quad q of a row at + 4q (lda ≥ 4·quads,
 *           the padding meets zero weights)
 *   w:      [quads][32 channels][4] int8; bias: [32] int32, already less 128·Σw (the rows' offset); the rest as above
 * The same blocking as the pair kernel: 8 rows × 32 channels, 16 rows × 16 where nr ≤ 16, and where nr ≤ 8 two quads of
 * k a vector (lane 2c channel c's even quads, 2c + 1 its odd ones), 16 rows a step. Whole blocks requantize through
 * codes4 (rows in pairs, or fours where nr ≤ 16), permIndex its gather order; the last rows one at a time.
 */
static inline int32_t quad_at(const uint8_t* p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline int64_t quad2_at(const uint8_t* p)
{
    int64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Rows i and j of a 32-channel block (full panel): 64 codes, row i's 32 then row j's, stored masked by nr. */
#define STORE2(i, j) { __m512i q = codes4(s##i##0, s##i##1, s##j##0, s##j##1, sc0, sc1, sc0, sc1, hi, zp16, lo8, hi8, perm); \
    _mm512_mask_storeu_epi8(y + (int64_t)(r + i) * ldy, rowMask, q); \
    _mm512_mask_storeu_epi8(y + (int64_t)(r + j) * ldy - 32, rowMask << 32, q); }
/* Rows i..i + 3 of a 16-channel block (half panel): each row's 16 codes stored from its quarter of the vector. */
#define HSTORE4(i, j, k, l) { __m512i q = codes4(s##i, s##j, s##k, s##l, sc0, sc0, sc0, sc0, hi, zp16, lo8, hi8, perm); \
    _mm512_mask_storeu_epi8(y + (int64_t)(r + i) * ldy, rowMask, q); \
    _mm512_mask_storeu_epi8(y + (int64_t)(r + j) * ldy - 16, rowMask << 16, q); \
    _mm512_mask_storeu_epi8(y + (int64_t)(r + k) * ldy - 32, rowMask << 32, q); \
    _mm512_mask_storeu_epi8(y + (int64_t)(r + l) * ldy - 48, rowMask << 48, q); }
#define R8P(X) X(0, 1) X(2, 3) X(4, 5) X(6, 7)
#define R16Q(X) X(0, 1, 2, 3) X(4, 5, 6, 7) X(8, 9, 10, 11) X(12, 13, 14, 15)
#define NOSTORE(i)

#define UROW(i) const uint8_t* x##i = x + (int64_t)(r + i) * lda;
#define USTEP(i) { __m512i a = _mm512_set1_epi32(quad_at(x##i + o)); \
    s##i##0 = _mm512_dpbusd_epi32(s##i##0, a, w0); s##i##1 = _mm512_dpbusd_epi32(s##i##1, a, w1); }
#define UHSTEP(i) s##i = _mm512_dpbusd_epi32(s##i, _mm512_set1_epi32(quad_at(x##i + o)), w0);
#define UQSTEP2(i) s##i = _mm512_dpbusd_epi32(s##i, _mm512_set1_epi64(quad2_at(x##i + o)), w01);
#define UQSTEP1(i) s##i = _mm512_dpbusd_epi32(s##i, _mm512_set1_epi32(quad_at(x##i + o)), w01);

/* The quad kernel's rows and quarter sums: quad u at 4u of a row-major row. */
#define QUAD_ROWS(RN, ACCM, STEPM, STOREM) UNIT_ROWS(RN, UROW, ACCM, STEPM, STOREM, quads, 4 * (int64_t)u)
#define UQUARTER_SUMS(RN) UNIT_QUARTER_SUMS(RN, UROW, UQSTEP2, UQSTEP1, quads, 4)

void edgenet_int8_quads_vnni(const uint8_t* x, int64_t lda, int rows, int quads, const int8_t* w, const int32_t* bias,
    const float* scales, int8_t* y, int64_t ldy, int nr, int zp, int loCode, int hiCode, const int32_t* permIndex)
{
    const __m512i perm = _mm512_loadu_si512(permIndex);
    const __m512i zp16 = _mm512_set1_epi16((short)zp), lo8 = _mm512_set1_epi8((char)loCode), hi8 = _mm512_set1_epi8((char)hiCode);
    const __mmask64 rowMask = nr >= 32 ? 0xFFFFFFFFull : (1ull << nr) - 1ull;
    const __m512i b0 = _mm512_loadu_si512(bias);
    const __m512 sc0 = _mm512_loadu_ps(scales);
    const __m512 lo = _mm512_set1_ps((float)(loCode - zp)), hi = _mm512_set1_ps((float)(hiCode - zp));
    const __m512i zpv = _mm512_set1_epi32(zp);
    if (nr <= 8)
    {
        QUARTER_PANEL(UQUARTER_SUMS)
        return;
    }

    int r = 0;
    if (nr <= 16)
    {
        const __mmask16 mask = (__mmask16)((1u << nr) - 1u);
        for (; r + 16 <= rows; r += 16)
        {
            QUAD_ROWS(R16, HACC, UHSTEP, NOSTORE)
            R16Q(HSTORE4)
        }

        for (; r < rows; r++)
        {
            QUAD_ROWS(R1, HACC, UHSTEP, HSTORE)
        }

        return;
    }

    const __m512i b1 = _mm512_loadu_si512(bias + 16);
    const __m512 sc1 = _mm512_loadu_ps(scales + 16);
    const __mmask16 tail = (__mmask16)((1u << (nr - 16)) - 1u);
    for (; r + 8 <= rows; r += 8)
    {
        QUAD_ROWS(R8, ACC, USTEP, NOSTORE)
        R8P(STORE2)
    }

    for (; r < rows; r++)
    {
        QUAD_ROWS(R1, ACC, USTEP, STORE)
    }
}

/*
 * The int8 3x3 depthwise convolution (multiplier 1, stride 1 or 2 across, any stride down) with vpdpwssd: each input
 * row of 16 channels becomes pairs of adjacent padded columns widened to int16 (lane c of pair i: x[2i][c] low,
 * x[2i + 1][c] high; columns and rows outside the image hold the zero point's code), so two taps of a channel are one
 * pair multiply-add: per kernel row an output takes pair i (taps 0, 1) and pair i + 1 (tap 2 against a zero weight) at
 * stride 2 and at even columns of stride 1, pairs i and i + 1 against (0, w0) and (w1, w2) at odd ones — six
 * instructions for the nine taps where float FMAs take nine. The sums start from the folded bias (bias − zx·Σw over
 * all nine taps, the padding being zx), so they are the integer reference's; requantized as the panels do.
 *   xn:     one image [H, W, C] int8; a last group of fewer than 16 channels reads whole 16-byte vectors (the arena keeps
 *           readable bytes after its end) and stores its own lanes only
 *   w:      [9][C] int32 (the int8 kernel widened; 16 readable past C), foldedBias: [C] int32, scales: [C] f32 (both 16
 *           readable past C)
 *   ring:   3 × npairs vectors of scratch (64-byte aligned not required); npairs: the pairs of columns a ring row holds,
 *           enough for OW outputs and the pair after the last (Int8Vnni.Depthwise3x3Pairs)
 *   yn:     [OH, OW, C] int8, output rows [oh0, oh1) written; permIndex: codes4's gather order
 */
static inline __m512i pack16(__m512i lo, __m512i hi)
{
    return _mm512_or_si512(_mm512_srli_epi32(_mm512_slli_epi32(lo, 16), 16), _mm512_slli_epi32(hi, 16));
}

/* Columns a and b of 16 channels as one vector of pairs: lane c holds a[c] (low int16) and b[c] (high). */
static inline __m512i column_pair(__m128i a, __m128i b)
{
    return _mm512_cvtepi8_epi16(_mm256_set_m128i(_mm_unpackhi_epi8(a, b), _mm_unpacklo_epi8(a, b)));
}

/* Input row ih's channels [j, j + 16) as npairs column pairs into d, the zero point's code outside the image. */
static inline void pair_row(const int8_t* xn, int ih, int H, int W, int C, int j, int padLeft, int npairs, __m128i zx16, __m512i* d)
{
    if ((unsigned)ih >= (unsigned)H)
    {
        const __m512i z = column_pair(zx16, zx16);
        for (int i = 0; i < npairs; i++)
        {
            _mm512_storeu_si512(d + i, z);
        }

        return;
    }

    const int8_t* row = xn + (int64_t)ih * W * C + j;
    /* pairs [i0, i1) lie wholly inside the row (2i − padLeft ≥ 0, 2i + 1 − padLeft < W); those outside it are checked */
    int i0 = (padLeft + 1) / 2, i1 = (W + padLeft) / 2;
    i0 = i0 < npairs ? i0 : npairs;
    i1 = i1 < npairs ? (i1 > i0 ? i1 : i0) : npairs;
    for (int i = 0; i < npairs; i++)
    {
        if (i == i0)
        {
            for (const int8_t* src = row + (int64_t)(2 * i0 - padLeft) * C; i < i1; i++, src += 2 * (int64_t)C)
            {
                _mm512_storeu_si512(d + i, column_pair(_mm_loadu_si128((const __m128i*)src), _mm_loadu_si128((const __m128i*)(src + C))));
            }

            if (i == npairs)
            {
                break;
            }
        }

        int u0 = 2 * i - padLeft, u1 = u0 + 1;
        __m128i a = (unsigned)u0 < (unsigned)W ? _mm_loadu_si128((const __m128i*)(row + (int64_t)u0 * C)) : zx16;
        __m128i b = (unsigned)u1 < (unsigned)W ? _mm_loadu_si128((const __m128i*)(row + (int64_t)u1 * C)) : zx16;
        _mm512_storeu_si512(d + i, column_pair(a, b));
    }
}

/* The ring slot of input row ih (rows in the padding above are negative). */
static inline int64_t slot3(int ih)
{
    return ((ih % 3) + 3) % 3;
}

/* One output's sum, channels of the group: pairs i and i + 1 of the three ring rows against each row's weight pair
 * vectors wa[kh] and wb[kh], in two chains (the first from the bias) that meet at the end — half the latency of one. */
static inline __m512i dw_sum(const __m512i* p0, const __m512i* p1, const __m512i* p2, int i, const __m512i* wa,
    const __m512i* wb, __m512i bias)
{
    __m512i a = _mm512_dpwssd_epi32(bias, _mm512_loadu_si512(p0 + i), wa[0]);
    __m512i b = _mm512_dpwssd_epi32(_mm512_setzero_si512(), _mm512_loadu_si512(p0 + i + 1), wb[0]);
    a = _mm512_dpwssd_epi32(a, _mm512_loadu_si512(p1 + i), wa[1]);
    b = _mm512_dpwssd_epi32(b, _mm512_loadu_si512(p1 + i + 1), wb[1]);
    a = _mm512_dpwssd_epi32(a, _mm512_loadu_si512(p2 + i), wa[2]);
    b = _mm512_dpwssd_epi32(b, _mm512_loadu_si512(p2 + i + 1), wb[2]);
    return _mm512_add_epi32(a, b);
}

/* Four adjacent output pixels' codes (codes4: 16 bytes each) to y, y + C, y + 2C, y + 3C, the group's channels only:
 * each a masked store of the whole vector from its quarter's offset (masked-off bytes are neither written nor read). */
static inline void dw_store4(int8_t* y, int64_t C, __mmask16 mask, __m512i q)
{
    const __mmask64 m = (__mmask64)mask;
    _mm512_mask_storeu_epi8(y, m, q);
    _mm512_mask_storeu_epi8(y + C - 16, m << 16, q);
    _mm512_mask_storeu_epi8(y + 2 * C - 32, m << 32, q);
    _mm512_mask_storeu_epi8(y + 3 * C - 48, m << 48, q);
}

void edgenet_int8_dw3x3_vnni(const int8_t* xn, int H, int W, int C, int SH, int SW, int padTop, int padLeft, int OW, int oh0,
    int oh1, int zx, const int32_t* w, const int32_t* foldedBias, const float* scales, int zp, int loCode, int hiCode,
    __m512i* ring, int npairs, int8_t* yn, const int32_t* permIndex)
{
    const __m512i perm = _mm512_loadu_si512(permIndex);
    const __m512i zp16 = _mm512_set1_epi16((short)zp), lo8 = _mm512_set1_epi8((char)loCode), hi8 = _mm512_set1_epi8((char)hiCode);
    const __m512 lo = _mm512_set1_ps((float)(loCode - zp)), hi = _mm512_set1_ps((float)(hiCode - zp));
    const __m512i zpv = _mm512_set1_epi32(zp);
    const __m512i zero = _mm512_setzero_si512();
    const __m128i zx16 = _mm_set1_epi8((char)zx);
    for (int j = 0; j < C; j += 16)
    {
        const __mmask16 mask = (__mmask16)(C - j >= 16 ? 0xFFFFu : (1u << (C - j)) - 1u);
        __m512i A[3], B[3], Cw[3], D[3];
        for (int kh = 0; kh < 3; kh++)
        {
            const int32_t* wr = w + (int64_t)(3 * kh) * C + j;
            __m512i w0 = _mm512_loadu_si512(wr), w1 = _mm512_loadu_si512(wr + C), w2 = _mm512_loadu_si512(wr + 2 * (int64_t)C);
            A[kh] = pack16(w0, w1);
            B[kh] = pack16(w2, zero);
            Cw[kh] = pack16(zero, w0);
            D[kh] = pack16(w1, w2);
        }

        const __m512i bias = _mm512_loadu_si512(foldedBias + j);
        const __m512 sc = _mm512_loadu_ps(scales + j);
        int next = -(1 << 30);   /* the first input row the ring does not hold yet (rows only move down) */
        for (int oh = oh0; oh < oh1; oh++)
        {
            int ih0 = oh * SH - padTop;
            for (int ih = next > ih0 ? next : ih0; ih < ih0 + 3; ih++)
            {
                pair_row(xn, ih, H, W, C, j, padLeft, npairs, zx16, ring + slot3(ih) * npairs);
            }

            next = ih0 + 3;
            const __m512i* p0 = ring + slot3(ih0) * npairs;
            const __m512i* p1 = ring + slot3(ih0 + 1) * npairs;
            const __m512i* p2 = ring + slot3(ih0 + 2) * npairs;
            int8_t* yp = yn + ((int64_t)oh * OW) * C + j;
            if (SW == 2)
            {
                int i = 0;
                for (; i + 4 <= OW; i += 4)
                {
                    dw_store4(yp + (int64_t)i * C, C, mask, codes4(dw_sum(p0, p1, p2, i, A, B, bias), dw_sum(p0, p1, p2, i + 1, A, B, bias),
                        dw_sum(p0, p1, p2, i + 2, A, B, bias), dw_sum(p0, p1, p2, i + 3, A, B, bias), sc, sc, sc, sc, hi, zp16, lo8, hi8, perm));
                }

                for (; i < OW; i++)
                {
                    _mm_mask_storeu_epi8(yp + (int64_t)i * C, mask, codes(dw_sum(p0, p1, p2, i, A, B, bias), sc, lo, hi, zpv));
                }
            }
            else
            {
                /* output 2i: pair i's taps 0, 1 and pair i + 1's tap 2 (A, B); output 2i + 1: pair i's second column
                 * and pair i + 1's two (Cw, D) */
                int ow = 0;
                for (; ow + 4 <= OW; ow += 4)
                {
                    int i = ow >> 1;
                    dw_store4(yp + (int64_t)ow * C, C, mask, codes4(dw_sum(p0, p1, p2, i, A, B, bias), dw_sum(p0, p1, p2, i, Cw, D, bias),
                        dw_sum(p0, p1, p2, i + 1, A, B, bias), dw_sum(p0, p1, p2, i + 1, Cw, D, bias), sc, sc, sc, sc, hi, zp16, lo8, hi8, perm));
                }

                for (; ow + 2 <= OW; ow += 2)
                {
                    int i = ow >> 1;
                    _mm_mask_storeu_epi8(yp + (int64_t)ow * C, mask, codes(dw_sum(p0, p1, p2, i, A, B, bias), sc, lo, hi, zpv));
                    _mm_mask_storeu_epi8(yp + (int64_t)(ow + 1) * C, mask, codes(dw_sum(p0, p1, p2, i, Cw, D, bias), sc, lo, hi, zpv));
                }

                if (ow < OW)
                {
                    _mm_mask_storeu_epi8(yp + (int64_t)ow * C, mask, codes(dw_sum(p0, p1, p2, ow >> 1, A, B, bias), sc, lo, hi, zpv));
                }
            }
        }
    }
}
