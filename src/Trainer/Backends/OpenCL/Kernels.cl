// EdgeNet OpenCL kernels: every op of IBackend, forward and backward side by side.
// Row-major float buffers; images NHWC, conv kernels HWIO. One work-item per output element
// unless a comment says otherwise. Compiled once per context (PoCL caches the binaries).

// ---- GEMM: C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C -------------------------------
#define TS 16
// GPU variant: 16x16 work-group tiles staged in local memory.
__kernel void gemm_tiled(int ta, int tb, int M, int N, int K, float alpha,
                         __global const float* A, __global const float* B, float beta, __global float* C) {
  const int col = get_global_id(0), row = get_global_id(1);
  const int lc = get_local_id(0), lr = get_local_id(1);
  __local float As[TS][TS + 1];
  __local float Bs[TS][TS + 1];
  float acc = 0.0f;
  for (int t = 0; t < K; t += TS) {
    const int ak = t + lc, bk = t + lr;
    As[lr][lc] = (row < M && ak < K) ? (ta ? A[ak * M + row] : A[row * K + ak]) : 0.0f;
    Bs[lr][lc] = (col < N && bk < K) ? (tb ? B[col * K + bk] : B[bk * N + col]) : 0.0f;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = 0; k < TS; k++) acc += As[lr][k] * Bs[k][lc];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (row < M && col < N) C[row * N + col] = alpha * acc + (beta == 0.0f ? 0.0f : beta * C[row * N + col]);
}

// CPU-device variant: each work-item computes an 8x16 block of C in eight float16 registers
// (PoCL vectorizes these well; the tiled kernel runs ~50x slower there). B must be row-major
// (the host transposes it first when needed); rows past M are clamped on read and not stored.
#define ACC8(A0, A1, A2, A3, A4, A5, A6, A7) \
  c0 = mad((float16)(A0), b, c0); c1 = mad((float16)(A1), b, c1); c2 = mad((float16)(A2), b, c2); c3 = mad((float16)(A3), b, c3); \
  c4 = mad((float16)(A4), b, c4); c5 = mad((float16)(A5), b, c5); c6 = mad((float16)(A6), b, c6); c7 = mad((float16)(A7), b, c7);

void store_row(__global float* C, int r, int M, int N, int col0, float16 v, float alpha, float beta) {
  if (r >= M) return;
  __global float* dst = C + (long)r * N + col0;
  if (col0 + 16 <= N && beta == 0.0f) { vstore16(alpha * v, 0, dst); return; }
  float t[16]; vstore16(v, 0, t);
  for (int j = 0; j < 16 && col0 + j < N; j++) dst[j] = alpha * t[j] + (beta == 0.0f ? 0.0f : beta * dst[j]);
}

float16 load_b(__global const float* B, int k, int N, int col0) {
  if (col0 + 16 <= N) return vload16(0, B + (long)k * N + col0);
  float t[16];
  for (int j = 0; j < 16; j++) t[j] = col0 + j < N ? B[(long)k * N + col0 + j] : 0.0f;
  return vload16(0, t);
}

// rowsFirst: dimension 0 walks the row blocks (few rows: the work-items that share a column strip
// of B run one after another, so the strip is read from memory once and then from cache)
__kernel void gemm_block(int ta, int tb, int M, int N, int K, float alpha,
                         __global const float* A, __global const float* B, float beta, __global float* C, int rowsFirst) {
  const int g0 = get_global_id(0), g1 = get_global_id(1);
  const int col0 = (rowsFirst ? g1 : g0) * 16, r0 = (rowsFirst ? g0 : g1) * 8;
  if (r0 >= M || col0 >= N) return;
  float16 c0 = (float16)(0.0f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
  if (!ta) {
    // A row-major [M, K]: eight row pointers, clamped to the last row.
    __global const float* a0 = A + (long)min(r0, M - 1) * K;
    __global const float* a1 = A + (long)min(r0 + 1, M - 1) * K;
    __global const float* a2 = A + (long)min(r0 + 2, M - 1) * K;
    __global const float* a3 = A + (long)min(r0 + 3, M - 1) * K;
    __global const float* a4 = A + (long)min(r0 + 4, M - 1) * K;
    __global const float* a5 = A + (long)min(r0 + 5, M - 1) * K;
    __global const float* a6 = A + (long)min(r0 + 6, M - 1) * K;
    __global const float* a7 = A + (long)min(r0 + 7, M - 1) * K;
    // A partial last column block still loads 16 floats of B's row k: the lanes past N read the
    // start of row k + 1 and feed only columns that are never stored (lanes do not mix); the last
    // row is loaded with bounds so nothing past B is read.
    int kv = col0 + 16 <= N ? K : K - 1;
    int k = 0;
    for (; k < kv; k++) { float16 b = vload16(0, B + (long)k * N + col0); ACC8(a0[k], a1[k], a2[k], a3[k], a4[k], a5[k], a6[k], a7[k]) }
    for (; k < K; k++) { float16 b = load_b(B, k, N, col0); ACC8(a0[k], a1[k], a2[k], a3[k], a4[k], a5[k], a6[k], a7[k]) }
  } else {
    // A stored [K, M]: the eight rows of a k are contiguous.
    int kv = col0 + 16 <= N ? K : K - 1;
    for (int k = 0; k < K; k++) {
      float16 b = k < kv ? vload16(0, B + (long)k * N + col0) : load_b(B, k, N, col0);
      __global const float* ak = A + (long)k * M;
      if (r0 + 8 <= M) { float8 a = vload8(0, ak + r0); ACC8(a.s0, a.s1, a.s2, a.s3, a.s4, a.s5, a.s6, a.s7) }
      else { ACC8(ak[min(r0, M - 1)], ak[min(r0 + 1, M - 1)], ak[min(r0 + 2, M - 1)], ak[min(r0 + 3, M - 1)],
                  ak[min(r0 + 4, M - 1)], ak[min(r0 + 5, M - 1)], ak[min(r0 + 6, M - 1)], ak[min(r0 + 7, M - 1)]) }
    }
  }
  store_row(C, r0, M, N, col0, c0, alpha, beta); store_row(C, r0 + 1, M, N, col0, c1, alpha, beta);
  store_row(C, r0 + 2, M, N, col0, c2, alpha, beta); store_row(C, r0 + 3, M, N, col0, c3, alpha, beta);
  store_row(C, r0 + 4, M, N, col0, c4, alpha, beta); store_row(C, r0 + 5, M, N, col0, c5, alpha, beta);
  store_row(C, r0 + 6, M, N, col0, c6, alpha, beta); store_row(C, r0 + 7, M, N, col0, c7, alpha, beta);
}

// ---- element-wise ------------------------------------------------------------------------
__kernel void fill(__global float* y, float v) { y[get_global_id(0)] = v; }

__kernel void add_bias(__global const float* x, __global const float* b, __global float* y, int cols) {
  int i = get_global_id(0); y[i] = x[i] + b[i % cols];
}

// cols % 16 == 0: one work-item per 16 consecutive elements of a row
__kernel void add_bias16(__global const float* x, __global const float* b, __global float* y, int cols) {
  long i = (long)get_global_id(0) * 16;
  vstore16(vload16(0, x + i) + vload16(0, b + i % cols), 0, y + i);
}

// db[c] (+)= sum_r dy[r, c]
__kernel void bias_grad(__global const float* dy, __global float* db, int rows, int cols, int accumulate) {
  int c = get_global_id(0); float s = 0.0f;
  for (int r = 0; r < rows; r++) s += dy[r * cols + c];
  db[c] = accumulate ? db[c] + s : s;
}

// cols % 16 == 0: 16 columns per work-item, rows summed in the same order as bias_grad
__kernel void bias_grad16(__global const float* dy, __global float* db, int rows, int cols, int accumulate) {
  int c = get_global_id(0) * 16; float16 s = (float16)(0.0f);
  for (int r = 0; r < rows; r++) s += vload16(0, dy + (long)r * cols + c);
  vstore16(accumulate ? vload16(0, db + c) + s : s, 0, db + c);
}

// act: 0 linear, 1 relu, 2 sigmoid, 3 tanh, 4 relu6, 5 hard sigmoid, 6 hard swish, 7 silu
__kernel void act_fwd(int act, __global const float* x, __global float* y) {
  int i = get_global_id(0); float v = x[i];
  float h = fmin(fmax(v * (1.0f / 6.0f) + 0.5f, 0.0f), 1.0f);
  y[i] = act == 1 ? fmax(v, 0.0f) : act == 2 ? 1.0f / (1.0f + exp(-v)) : act == 3 ? tanh(v) : act == 4 ? fmin(fmax(v, 0.0f), 6.0f)
       : act == 5 ? h : act == 6 ? v * h : act == 7 ? v / (1.0f + exp(-v)) : v;
}

// From the output y (acts 1-5).
__kernel void act_bwd(int act, __global const float* y, __global const float* dy, __global float* dx) {
  int i = get_global_id(0); float v = y[i], g = dy[i];
  dx[i] = act == 1 ? (v > 0.0f ? g : 0.0f) : act == 2 ? g * v * (1.0f - v) : act == 3 ? g * (1.0f - v * v) : act == 4 ? (v > 0.0f && v < 6.0f ? g : 0.0f)
        : act == 5 ? (v > 0.0f && v < 1.0f ? g * (1.0f / 6.0f) : 0.0f) : g;
}

// From the input x: the hard swish (0 below -3, 1 above 3, x/3 + 1/2 between) and SiLU (s·(1 + x·(1 − s))).
__kernel void act_bwd_x(int act, __global const float* x, __global const float* dy, __global float* dx) {
  int i = get_global_id(0); float v = x[i], g = dy[i], s = 1.0f / (1.0f + exp(-v));
  dx[i] = act == 6 ? (v < -3.0f ? 0.0f : v > 3.0f ? g : g * (v * (1.0f / 3.0f) + 0.5f)) : act == 7 ? g * s * (1.0f + v * (1.0f - s)) : g;
}

// op: 0 add, 1 sub, 2 mul, 3 div; b repeats every bl elements
__kernel void binary_op(int op, __global const float* a, __global const float* b, __global float* y, int bl) {
  int i = get_global_id(0); float u = a[i], v = b[i % bl];
  y[i] = op == 0 ? u + v : op == 1 ? u - v : op == 2 ? u * v : u / v;
}

// op: 0 neg, 1 square, 2 exp, 3 log, 4 sqrt, 5 abs
__kernel void unary_op(int op, __global const float* x, __global float* y) {
  int i = get_global_id(0); float v = x[i];
  y[i] = op == 0 ? -v : op == 1 ? v * v : op == 2 ? exp(v) : op == 3 ? log(v) : op == 4 ? sqrt(v) : fabs(v);
}

__kernel void affine(__global const float* x, __global float* y, float scale, float shift) {
  int i = get_global_id(0); y[i] = x[i] * scale + shift;
}

// ---- reductions over [outer, reduce, inner] ----------------------------------------------
__kernel void reduce_sum(__global const float* x, __global float* y, int reduce, int inner, float scale) {
  int g = get_global_id(0), o = g / inner, i = g % inner; float s = 0.0f;
  for (int r = 0; r < reduce; r++) s += x[(o * reduce + r) * inner + i];
  y[g] = s * scale;
}

__kernel void reduce_max(__global const float* x, __global float* y, __global float* idx, int reduce, int inner) {
  int g = get_global_id(0), o = g / inner, i = g % inner;
  int best = 0; float bv = x[o * reduce * inner + i];
  for (int r = 1; r < reduce; r++) { float v = x[(o * reduce + r) * inner + i]; if (v > bv || isnan(v)) { bv = v; best = r; } }
  y[g] = bv; idx[g] = (float)best;
}

// dx[o, r, i] = r == idx[o, i] ? dy[o, i] : 0   (one work-item per dx element)
__kernel void reduce_max_bwd(__global const float* dy, __global const float* idx, __global float* dx, int reduce, int inner) {
  int g = get_global_id(0), i = g % inner, r = (g / inner) % reduce, o = g / (inner * reduce);
  dx[g] = (int)idx[o * inner + i] == r ? dy[o * inner + i] : 0.0f;
}

// y[o, r, i] = x[o, i] * scale
__kernel void broadcast(__global const float* x, __global float* y, int reduce, int inner, float scale) {
  int g = get_global_id(0), i = g % inner, o = g / (inner * reduce);
  y[g] = x[o * inner + i] * scale;
}

// ---- softmax and cross-entropy (one work-item per row) -----------------------------------
__kernel void softmax(__global const float* x, __global float* y, int cols) {
  int r = get_global_id(0); __global const float* xr = x + r * cols; __global float* yr = y + r * cols;
  float m = -INFINITY; for (int c = 0; c < cols; c++) m = fmax(m, xr[c]);
  float s = 0.0f; for (int c = 0; c < cols; c++) { float e = exp(xr[c] - m); yr[c] = e; s += e; }
  for (int c = 0; c < cols; c++) yr[c] /= s;
}

__kernel void softmax_bwd(__global const float* y, __global const float* dy, __global float* dx, int cols) {
  int r = get_global_id(0); float dot = 0.0f;
  for (int c = 0; c < cols; c++) dot += y[r * cols + c] * dy[r * cols + c];
  for (int c = 0; c < cols; c++) dx[r * cols + c] = y[r * cols + c] * (dy[r * cols + c] - dot);
}

__kernel void sparse_ce(__global const float* in, __global const float* labels, __global float* loss, __global float* probs,
                        int cols, int fromLogits, float eps) {
  int r = get_global_id(0); int label = (int)labels[r]; __global const float* x = in + r * cols;
  if (fromLogits) {
    float m = -INFINITY; for (int c = 0; c < cols; c++) m = fmax(m, x[c]);
    float s = 0.0f; for (int c = 0; c < cols; c++) { float e = exp(x[c] - m); probs[r * cols + c] = e; s += e; }
    for (int c = 0; c < cols; c++) probs[r * cols + c] /= s;
    loss[r] = log(s) + m - x[label];
  } else {
    loss[r] = -log(clamp(x[label], eps, 1.0f - eps));
  }
}

__kernel void sparse_ce_bwd(__global const float* in, __global const float* probs, __global const float* labels, __global const float* dloss,
                            __global float* din, int cols, int fromLogits, float eps) {
  int r = get_global_id(0); int label = (int)labels[r]; float g = dloss[r];
  for (int c = 0; c < cols; c++) {
    float v;
    if (fromLogits) v = probs[r * cols + c] * g - (c == label ? g : 0.0f);
    else { float p = in[r * cols + label]; v = c == label ? ((p < eps || p > 1.0f - eps) ? 0.0f : -g / p) : 0.0f; }
    din[r * cols + c] = v;
  }
}

__kernel void one_hot(__global const float* labels, __global float* y, int depth) {
  int g = get_global_id(0), r = g / depth, c = g % depth; float l = labels[r];
  y[g] = ((int)l == c && (float)c == l) ? 1.0f : 0.0f;
}

// ---- slicing along one axis of [outer, count, inner] -------------------------------------
__kernel void slice_fwd(__global const float* x, __global float* y, int count, int inner, int start, int length) {
  int g = get_global_id(0), i = g % inner, l = (g / inner) % length, o = g / (inner * length);
  y[g] = x[(o * count + start + l) * inner + i];
}

__kernel void slice_bwd(__global const float* dy, __global float* dx, int count, int inner, int start, int length) {
  int g = get_global_id(0), i = g % inner, l = (g / inner) % length, o = g / (inner * length);
  dx[(o * count + start + l) * inner + i] += dy[g];
}

// ---- convolution by im2col + GEMM, and max pooling ---------------------------------------
// geometry: B, H, W, C, KH, KW, F, SH, SW, PT, PL, OH, OW in g[0..12]
// one work-item per (output row, kh): copies the KW·C run of that kernel row (zero outside the image)
__kernel void im2col(__global const float* x, __global float* cols, __constant int* g) {
  int e = get_global_id(0); int H = g[1], W = g[2], C = g[3], KH = g[4], KW = g[5], OH = g[11], OW = g[12];
  int kh = e % KH, row = e / KH;
  int ow = row % OW, oh = (row / OW) % OH, b = row / (OW * OH);
  int ih = oh * g[7] - g[9] + kh, iw0 = ow * g[8] - g[10];
  __global float* dst = cols + (long)row * (KH * KW * C) + kh * KW * C;
  if (ih < 0 || ih >= H) { for (int j = 0; j < KW * C; j++) dst[j] = 0.0f; return; }
  __global const float* src = x + ((long)(b * H + ih) * W) * C;
  if (C % 16 == 0) {
    for (int kw = 0; kw < KW; kw++) {
      int iw = iw0 + kw;
      for (int ci = 0; ci < C; ci += 16)
        vstore16(iw < 0 || iw >= W ? (float16)(0.0f) : vload16(0, src + iw * C + ci), 0, dst + kw * C + ci);
    }
    return;
  }
  for (int kw = 0; kw < KW; kw++) {
    int iw = iw0 + kw;
    if (iw < 0 || iw >= W) { for (int ci = 0; ci < C; ci++) dst[kw * C + ci] = 0.0f; }
    else { for (int ci = 0; ci < C; ci++) dst[kw * C + ci] = src[iw * C + ci]; }
  }
}

// the adjoint, gathered: dx[b, ih, iw, ci] = sum of the cols entries that read it
__kernel void col2im(__global const float* cols, __global float* dx, __constant int* g) {
  int e = get_global_id(0); int H = g[1], W = g[2], C = g[3], KH = g[4], KW = g[5], SH = g[7], SW = g[8], OH = g[11], OW = g[12];
  int ci = e % C, iw = (e / C) % W, ih = (e / (C * W)) % H, b = e / (C * W * H);
  float s = 0.0f;
  for (int kh = 0; kh < KH; kh++) {
    int t = ih + g[9] - kh; if (t < 0 || t % SH) continue; int oh = t / SH; if (oh >= OH) continue;
    for (int kw = 0; kw < KW; kw++) {
      int u = iw + g[10] - kw; if (u < 0 || u % SW) continue; int ow = u / SW; if (ow >= OW) continue;
      s += cols[((b * OH + oh) * OW + ow) * (KH * KW * C) + (kh * KW + kw) * C + ci];
    }
  }
  dx[e] = s;
}

// ---- direct convolution gradients (no cols buffer) for channel counts the vectors fit ---------
// dw[kh, kw, ci, co] = sum over (b, oh, ow) of x[b, oh*SH - PT + kh, ow*SW - PL + kw, ci] * dy[b, oh, ow, co]
// x: [B, H, W, C]  dy: [B, OH, OW, F]  dw: [KH, KW, C, F]. One work-item: one (kh, kw), 8 input
// channels x 16 output channels over every pixel (C % 8 == 0, F % 16 == 0); x and dy stay in cache.
__kernel void conv_dw(__global const float* x, __global const float* dy, __global float* dw, __constant int* g) {
  int B = g[0], H = g[1], W = g[2], C = g[3], KW = g[5], F = g[6], SH = g[7], SW = g[8], PT = g[9], PL = g[10], OH = g[11], OW = g[12];
  int e = get_global_id(0), fb = F / 16, cb = C / 8;
  int co0 = (e % fb) * 16, ci0 = ((e / fb) % cb) * 8, khw = e / (fb * cb), kh = khw / KW, kw = khw % KW;
  int ow0 = 0, ow1 = OW;
  while (ow0 < OW && ow0 * SW - PL + kw < 0) ow0++;
  while (ow1 > ow0 && (ow1 - 1) * SW - PL + kw >= W) ow1--;
  float16 c0 = (float16)(0.0f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
  for (int b = 0; b < B; b++) {
    for (int oh = 0; oh < OH; oh++) {
      int ih = oh * SH - PT + kh;
      if (ih < 0 || ih >= H) continue;
      __global const float* xr = x + ((long)(b * H + ih) * W + kw - PL) * C + ci0;
      __global const float* dr = dy + ((long)(b * OH + oh) * OW) * F + co0;
      for (int ow = ow0; ow < ow1; ow++) {
        __global const float* a = xr + (long)ow * SW * C;   // scalar loads broadcast straight from memory
        float16 d = vload16(0, dr + (long)ow * F);
        c0 = mad((float16)(a[0]), d, c0); c1 = mad((float16)(a[1]), d, c1); c2 = mad((float16)(a[2]), d, c2); c3 = mad((float16)(a[3]), d, c3);
        c4 = mad((float16)(a[4]), d, c4); c5 = mad((float16)(a[5]), d, c5); c6 = mad((float16)(a[6]), d, c6); c7 = mad((float16)(a[7]), d, c7);
      }
    }
  }
  __global float* o = dw + ((long)khw * C + ci0) * F + co0;
  vstore16(c0, 0, o); vstore16(c1, 0, o + F); vstore16(c2, 0, o + 2 * F); vstore16(c3, 0, o + 3 * F);
  vstore16(c4, 0, o + 4 * F); vstore16(c5, 0, o + 5 * F); vstore16(c6, 0, o + 6 * F); vstore16(c7, 0, o + 7 * F);
}

// the same for any C (the first layer's C = 1): one work-item per (kh, kw, ci) and 16 output
// channels, four pixels a step in four independent accumulators, summed at the end (F % 16 == 0)
__kernel void conv_dw_c(__global const float* x, __global const float* dy, __global float* dw, __constant int* g) {
  int B = g[0], H = g[1], W = g[2], C = g[3], KW = g[5], F = g[6], SH = g[7], SW = g[8], PT = g[9], PL = g[10], OH = g[11], OW = g[12];
  int e = get_global_id(0), fb = F / 16;
  int co0 = (e % fb) * 16, ci = (e / fb) % C, khw = e / (fb * C), kh = khw / KW, kw = khw % KW;
  int ow0 = 0, ow1 = OW;
  while (ow0 < OW && ow0 * SW - PL + kw < 0) ow0++;
  while (ow1 > ow0 && (ow1 - 1) * SW - PL + kw >= W) ow1--;
  float16 c0 = (float16)(0.0f), c1 = c0, c2 = c0, c3 = c0;
  for (int b = 0; b < B; b++) {
    for (int oh = 0; oh < OH; oh++) {
      int ih = oh * SH - PT + kh;
      if (ih < 0 || ih >= H) continue;
      __global const float* xr = x + ((long)(b * H + ih) * W + kw - PL) * C + ci;
      __global const float* dr = dy + ((long)(b * OH + oh) * OW) * F + co0;
      int ow = ow0;
      for (; ow + 4 <= ow1; ow += 4) {
        c0 = mad((float16)(xr[(long)ow * SW * C]), vload16(0, dr + (long)ow * F), c0);
        c1 = mad((float16)(xr[(long)(ow + 1) * SW * C]), vload16(0, dr + (long)(ow + 1) * F), c1);
        c2 = mad((float16)(xr[(long)(ow + 2) * SW * C]), vload16(0, dr + (long)(ow + 2) * F), c2);
        c3 = mad((float16)(xr[(long)(ow + 3) * SW * C]), vload16(0, dr + (long)(ow + 3) * F), c3);
      }
      for (; ow < ow1; ow++) c0 = mad((float16)(xr[(long)ow * SW * C]), vload16(0, dr + (long)ow * F), c0);
    }
  }
  vstore16((c0 + c1) + (c2 + c3), 0, dw + ((long)khw * C + ci) * F + co0);
}

// wt[kh, kw, co, ci] = w[kh, kw, ci, co] (the layout conv_dx reads 16 input channels from at once)
__kernel void conv_wt(__global const float* w, __global float* wt, int C, int F) {
  int e = get_global_id(0), ci = e % C, co = (e / C) % F, khw = e / (C * F);
  wt[e] = w[((long)khw * C + ci) * F + co];
}

// dx[b, ih, iw, ci] = sum over (kh, kw, co) of dy[b, oh, ow, co] * w[kh, kw, ci, co] where
// oh*SH = ih + PT - kh and ow*SW = iw + PL - kw. wt: [KH, KW, F, C]. One work-item: four adjacent
// iw of one (b, ih) and 16 input channels (C % 16 == 0): four independent accumulators share each
// weight vector.
__kernel void conv_dx(__global const float* dy, __global const float* wt, __global float* dx, __constant int* g) {
  int H = g[1], W = g[2], C = g[3], KH = g[4], KW = g[5], F = g[6], SH = g[7], SW = g[8], PT = g[9], PL = g[10], OH = g[11], OW = g[12];
  int e = get_global_id(0), cb = C / 16, wq = (W + 3) / 4;
  int ci0 = (e % cb) * 16, iw0 = ((e / cb) % wq) * 4, ih = (e / (cb * wq)) % H, b = e / (cb * wq * H);
  float16 s0 = (float16)(0.0f), s1 = s0, s2 = s0, s3 = s0;
  for (int kh = 0; kh < KH; kh++) {
    int t = ih + PT - kh;
    if (t < 0 || t % SH) continue;
    int oh = t / SH;
    if (oh >= OH) continue;
    __global const float* drow = dy + ((long)(b * OH + oh) * OW) * F;
    for (int kw = 0; kw < KW; kw++) {
      int u0 = iw0 + PL - kw, u1 = u0 + 1, u2 = u0 + 2, u3 = u0 + 3;
      bool v0 = u0 >= 0 && u0 % SW == 0 && u0 / SW < OW && iw0 < W;
      bool v1 = u1 >= 0 && u1 % SW == 0 && u1 / SW < OW && iw0 + 1 < W;
      bool v2 = u2 >= 0 && u2 % SW == 0 && u2 / SW < OW && iw0 + 2 < W;
      bool v3 = u3 >= 0 && u3 % SW == 0 && u3 / SW < OW && iw0 + 3 < W;
      if (!(v0 || v1 || v2 || v3)) continue;
      __global const float* d0 = drow + (long)(v0 ? u0 / SW : 0) * F;
      __global const float* d1 = drow + (long)(v1 ? u1 / SW : 0) * F;
      __global const float* d2 = drow + (long)(v2 ? u2 / SW : 0) * F;
      __global const float* d3 = drow + (long)(v3 ? u3 / SW : 0) * F;
      __global const float* wp = wt + ((long)(kh * KW + kw) * F) * C + ci0;
      for (int co = 0; co < F; co++) {
        float16 wv = vload16(0, wp + (long)co * C);
        s0 = mad((float16)(v0 ? d0[co] : 0.0f), wv, s0);
        s1 = mad((float16)(v1 ? d1[co] : 0.0f), wv, s1);
        s2 = mad((float16)(v2 ? d2[co] : 0.0f), wv, s2);
        s3 = mad((float16)(v3 ? d3[co] : 0.0f), wv, s3);
      }
    }
  }
  __global float* o = dx + ((long)(b * H + ih) * W + iw0) * C + ci0;
  vstore16(s0, 0, o);
  if (iw0 + 1 < W) vstore16(s1, 0, o + C);
  if (iw0 + 2 < W) vstore16(s2, 0, o + 2 * C);
  if (iw0 + 3 < W) vstore16(s3, 0, o + 3 * C);
}

// stride 1: dx is a valid correlation of dy zero-padded by (KH - 1 - PT, KW - 1 - PL) with the
// flipped kernel, so no tap needs a bounds check. dyp: [B, Hp, Wp, F] (pad_nhwc), wt: [KH, KW, F, C].
// One work-item: eight adjacent iw of one (b, ih), 16 input channels (C % 16 == 0).
__kernel void conv_dx1(__global const float* dyp, __global const float* wt, __global float* dx, __constant int* g, int Hp, int Wp) {
  int H = g[1], W = g[2], C = g[3], KH = g[4], KW = g[5], F = g[6];
  int e = get_global_id(0), cb = C / 16, wq = (W + 7) / 8;
  int ci0 = (e % cb) * 16, iw0 = ((e / cb) % wq) * 8, ih = (e / (cb * wq)) % H, b = e / (cb * wq * H);
  float16 s0 = (float16)(0.0f), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
  for (int kh = 0; kh < KH; kh++) {
    __global const float* row = dyp + ((long)(b * Hp + ih + KH - 1 - kh) * Wp + iw0) * F;
    for (int kw = 0; kw < KW; kw++) {
      __global const float* d = row + (long)(KW - 1 - kw) * F;
      __global const float* wp = wt + ((long)(kh * KW + kw) * F) * C + ci0;
      for (int co = 0; co < F; co++) {
        float16 wv = vload16(0, wp + (long)co * C);
        s0 = mad((float16)(d[co]), wv, s0); s1 = mad((float16)(d[F + co]), wv, s1);
        s2 = mad((float16)(d[2 * F + co]), wv, s2); s3 = mad((float16)(d[3 * F + co]), wv, s3);
        s4 = mad((float16)(d[4 * F + co]), wv, s4); s5 = mad((float16)(d[5 * F + co]), wv, s5);
        s6 = mad((float16)(d[6 * F + co]), wv, s6); s7 = mad((float16)(d[7 * F + co]), wv, s7);
      }
    }
  }
  __global float* o = dx + ((long)(b * H + ih) * W + iw0) * C + ci0;
  int n = min(8, W - iw0);
  vstore16(s0, 0, o);
  if (n > 1) vstore16(s1, 0, o + C);
  if (n > 2) vstore16(s2, 0, o + 2 * C);
  if (n > 3) vstore16(s3, 0, o + 3 * C);
  if (n > 4) vstore16(s4, 0, o + 4 * C);
  if (n > 5) vstore16(s5, 0, o + 5 * C);
  if (n > 6) vstore16(s6, 0, o + 6 * C);
  if (n > 7) vstore16(s7, 0, o + 7 * C);
}

// yp[b, p, q, :] = y[b, p - top, q - left, :] inside, 0 outside; y: [B, OH, OW, F], yp: [B, Hp, Wp, F].
// One work-item per padded pixel, 16 channels at a time (F % 16 == 0).
__kernel void pad_nhwc16(__global const float* y, __global float* yp, int OH, int OW, int F, int Hp, int Wp, int top, int left) {
  int e = get_global_id(0), q = e % Wp, p = (e / Wp) % Hp, b = e / (Wp * Hp);
  int oh = p - top, ow = q - left;
  __global float* dst = yp + (long)e * F;
  if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) {
    for (int f = 0; f < F; f += 16) vstore16((float16)(0.0f), 0, dst + f);
    return;
  }
  __global const float* src = y + ((long)(b * OH + oh) * OW + ow) * F;
  for (int f = 0; f < F; f += 16) vstore16(vload16(0, src + f), 0, dst + f);
}

__kernel void maxpool_fwd(__global const float* x, __global float* y, __constant int* g) {
  int e = get_global_id(0); int H = g[1], W = g[2], C = g[3], OH = g[11], OW = g[12];
  int c = e % C, ow = (e / C) % OW, oh = (e / (C * OW)) % OH, b = e / (C * OW * OH);
  float m = -INFINITY;
  for (int kh = 0; kh < g[4]; kh++) for (int kw = 0; kw < g[5]; kw++) {
    int ih = oh * g[7] - g[9] + kh, iw = ow * g[8] - g[10] + kw;
    if (ih >= 0 && ih < H && iw >= 0 && iw < W) m = fmax(m, x[((b * H + ih) * W + iw) * C + c]);
  }
  y[e] = m;
}

// non-overlapping windows (stride >= pool, as the chapter's 2x2/2): each output sends its dy to its
// argmax position directly; dx was zeroed, and no two windows share a position
__kernel void maxpool_scatter(__global const float* x, __global const float* y, __global const float* dy, __global float* dx, __constant int* g) {
  int e = get_global_id(0); int H = g[1], W = g[2], C = g[3], OH = g[11], OW = g[12];
  int c = e % C, ow = (e / C) % OW, oh = (e / (C * OW)) % OH, b = e / (C * OW * OH);
  float m = y[e];
  for (int a = 0; a < g[4]; a++) for (int d = 0; d < g[5]; d++) {
    int ih = oh * g[7] - g[9] + a, iw = ow * g[8] - g[10] + d;
    int i = ((b * H + ih) * W + iw) * C + c;
    if (ih >= 0 && ih < H && iw >= 0 && iw < W && x[i] == m) { dx[i] = dy[e]; return; }
  }
}

// the same two, 16 channels per work-item (C % 16 == 0): one vector load per window tap
__kernel void maxpool_fwd16(__global const float* x, __global float* y, __constant int* g) {
  int e = get_global_id(0); int H = g[1], W = g[2], C = g[3], OH = g[11], OW = g[12], cb = C / 16;
  int c0 = (e % cb) * 16, ow = (e / cb) % OW, oh = (e / (cb * OW)) % OH, b = e / (cb * OW * OH);
  float16 m = (float16)(-INFINITY);
  for (int kh = 0; kh < g[4]; kh++) for (int kw = 0; kw < g[5]; kw++) {
    int ih = oh * g[7] - g[9] + kh, iw = ow * g[8] - g[10] + kw;
    if (ih >= 0 && ih < H && iw >= 0 && iw < W) m = fmax(m, vload16(0, x + ((long)(b * H + ih) * W + iw) * C + c0));
  }
  vstore16(m, 0, y + ((long)(b * OH + oh) * OW + ow) * C + c0);
}

// non-overlapping windows: every tap of the window is written, dy at the first tap equal to the
// max (per channel), zero at the others; dx was zeroed for positions outside every window
__kernel void maxpool_scatter16(__global const float* x, __global const float* y, __global const float* dy, __global float* dx, __constant int* g) {
  int e = get_global_id(0); int H = g[1], W = g[2], C = g[3], OH = g[11], OW = g[12], cb = C / 16;
  int c0 = (e % cb) * 16, ow = (e / cb) % OW, oh = (e / (cb * OW)) % OH, b = e / (cb * OW * OH);
  long o = ((long)(b * OH + oh) * OW + ow) * C + c0;
  float16 m = vload16(0, y + o), d = vload16(0, dy + o), zero = (float16)(0.0f);
  int16 done = (int16)(0);
  for (int a = 0; a < g[4]; a++) for (int q = 0; q < g[5]; q++) {
    int ih = oh * g[7] - g[9] + a, iw = ow * g[8] - g[10] + q;
    if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
    long i = ((long)(b * H + ih) * W + iw) * C + c0;
    int16 hit = isequal(vload16(0, x + i), m) & ~done;
    vstore16(select(zero, d, hit), 0, dx + i);
    done |= hit;
  }
}

// backward in two light passes: (1) per output, the index (kh·KW + kw) of the first position in its
// window where x equals the max; (2) per dx element, the sum of dy over the windows whose argmax it is
__kernel void maxpool_argmax(__global const float* x, __global const float* y, __global int* arg, __constant int* g) {
  int e = get_global_id(0); int H = g[1], W = g[2], C = g[3], OH = g[11], OW = g[12];
  int c = e % C, ow = (e / C) % OW, oh = (e / (C * OW)) % OH, b = e / (C * OW * OH);
  float m = y[e]; int first = -1;
  for (int a = 0; a < g[4] && first < 0; a++) for (int d = 0; d < g[5]; d++) {
    int ih = oh * g[7] - g[9] + a, iw = ow * g[8] - g[10] + d;
    if (ih >= 0 && ih < H && iw >= 0 && iw < W && x[((b * H + ih) * W + iw) * C + c] == m) { first = a * g[5] + d; break; }
  }
  arg[e] = first;
}

__kernel void maxpool_bwd(__global const int* arg, __global const float* dy, __global float* dx, __constant int* g) {
  int e = get_global_id(0); int H = g[1], W = g[2], C = g[3], KH = g[4], KW = g[5], SH = g[7], SW = g[8], OH = g[11], OW = g[12];
  int c = e % C, iw = (e / C) % W, ih = (e / (C * W)) % H, b = e / (C * W * H);
  float s = 0.0f;
  for (int kh = 0; kh < KH; kh++) {
    int t = ih + g[9] - kh; if (t < 0 || t % SH) continue; int oh = t / SH; if (oh >= OH) continue;
    for (int kw = 0; kw < KW; kw++) {
      int u = iw + g[10] - kw; if (u < 0 || u % SW) continue; int ow = u / SW; if (ow >= OW) continue;
      int o = ((b * OH + oh) * OW + ow) * C + c;
      if (arg[o] == kh * KW + kw) s += dy[o];
    }
  }
  dx[e] = s;
}

// ---- LSTM cell (gates i, f, g, o), one work-item per (batch, unit) -----------------------
float sigm(float v) { return 1.0f / (1.0f + exp(-v)); }

__kernel void lstm_fwd(__global const float* z, __global const float* cp, __global float* h, __global float* c, int units) {
  int e = get_global_id(0), b = e / units, u = e % units; __global const float* zr = z + b * 4 * units;
  float i = sigm(zr[u]), f = sigm(zr[units + u]), gg = tanh(zr[2 * units + u]), o = sigm(zr[3 * units + u]);
  float cn = f * cp[e] + i * gg; c[e] = cn; h[e] = o * tanh(cn);
}

__kernel void lstm_bwd(__global const float* z, __global const float* cp, __global const float* c, __global const float* dh, __global const float* dc,
                       int hasDh, int hasDc, __global float* dz, __global float* dcp, int units) {
  int e = get_global_id(0), b = e / units, u = e % units; __global const float* zr = z + b * 4 * units; __global float* dzr = dz + b * 4 * units;
  float i = sigm(zr[u]), f = sigm(zr[units + u]), gg = tanh(zr[2 * units + u]), o = sigm(zr[3 * units + u]);
  float tc = tanh(c[e]); float gh = hasDh ? dh[e] : 0.0f; float gc = (hasDc ? dc[e] : 0.0f) + gh * o * (1.0f - tc * tc);
  dzr[u] = gc * gg * i * (1.0f - i); dzr[units + u] = gc * cp[e] * f * (1.0f - f);
  dzr[2 * units + u] = gc * i * (1.0f - gg * gg); dzr[3 * units + u] = gh * tc * o * (1.0f - o); dcp[e] = gc * f;
}

// ---- embedding --------------------------------------------------------------------------
__kernel void gather_rows(__global const float* table, __global const float* idx, __global float* y, int dim) {
  int e = get_global_id(0); y[e] = table[(int)idx[e / dim] * dim + e % dim];
}

// dtable[v, d] += sum over rows with idx == v (one work-item per table element, no atomics)
__kernel void gather_bwd(__global const float* dy, __global const float* idx, __global float* dtable, int rows, int dim) {
  int e = get_global_id(0), v = e / dim, d = e % dim; float s = 0.0f;
  for (int r = 0; r < rows; r++) if ((int)idx[r] == v) s += dy[r * dim + d];
  dtable[e] += s;
}

// ---- dropout: the same SplitMix64 stream as the CPU backend, element i from state seed + (i+1)·γ
__kernel void dropout_mask(__global float* m, ulong seed, float keep) {
  int i = get_global_id(0);
  ulong z = seed + (ulong)(i + 1) * 0x9E3779B97F4A7C15UL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL; z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL; z ^= z >> 31;
  float u = (float)(z >> 40) * (1.0f / 16777216.0f);
  m[i] = u < keep ? 1.0f / keep : 0.0f;
}

// ---- optimizers, in place ----------------------------------------------------------------
__kernel void adam(__global float* p, __global const float* g, __global float* m, __global float* v, float lrT, float b1, float b2, float eps) {
  int i = get_global_id(0); float gi = g[i];
  float mi = b1 * m[i] + (1.0f - b1) * gi, vi = b2 * v[i] + (1.0f - b2) * gi * gi;
  m[i] = mi; v[i] = vi; p[i] -= lrT * mi / (sqrt(vi) + eps);
}

// the same, 16 elements per work-item (n % 16 == 0)
__kernel void adam16(__global float* p, __global const float* g, __global float* m, __global float* v, float lrT, float b1, float b2, float eps) {
  long i = (long)get_global_id(0) * 16; float16 gi = vload16(0, g + i);
  float16 mi = b1 * vload16(0, m + i) + (1.0f - b1) * gi, vi = b2 * vload16(0, v + i) + (1.0f - b2) * gi * gi;
  vstore16(mi, 0, m + i); vstore16(vi, 0, v + i); vstore16(vload16(0, p + i) - lrT * mi / (sqrt(vi) + eps), 0, p + i);
}

__kernel void sgd(__global float* p, __global const float* g, __global float* vel, float lr, float momentum, int nesterov, int hasVel) {
  int i = get_global_id(0);
  if (!hasVel) { p[i] -= lr * g[i]; return; }
  float v = momentum * vel[i] - lr * g[i]; vel[i] = v; p[i] += nesterov ? momentum * v - lr * g[i] : v;
}

// 16 elements per work-item (n % 16 == 0): isfinite gives -1 per finite lane, so 16 + sum = non-finite lanes
__kernel void count_nonfinite_at16(__global const float* x, __global int* count, int slot) {
  int16 f = isfinite(vload16(0, x + (long)get_global_id(0) * 16));
  int8 h = f.lo + f.hi; int4 q = h.lo + h.hi; int2 d = q.lo + q.hi;
  int bad = 16 + d.x + d.y;
  if (bad) atomic_add(count + slot, bad);
}

// count[slot] += non-finite values of x (one counter per tensor, read back together)
__kernel void count_nonfinite_at(__global const float* x, __global int* count, int slot) {
  if (!isfinite(x[get_global_id(0)])) atomic_inc(count + slot);
}

// out[c, r] = in[r, c] for in [rows, cols] (so the CPU-device GEMM reads B row-major)
__kernel void transpose(__global const float* in, __global float* out, int rows, int cols) {
  int e = get_global_id(0), r = e / cols, c = e % cols;
  out[c * rows + r] = in[e];
}

// ---- depthwise convolution: x [B,H,W,C], w [KH,KW,C·M] (output channel o = c·M + j reads input channel c), y [B,OH,OW,C·M]
// g: batch, H, W, C, KH, KW, C·M, SH, SW, pad top, pad left, OH, OW
__kernel void dw_fwd(__global const float* x, __global const float* w, __global float* y, __constant int* g, int M) {
  int e = get_global_id(0); int H = g[1], W = g[2], C = g[3], F = g[6], OH = g[11], OW = g[12];
  int o = e % F, ow = (e / F) % OW, oh = (e / (F * OW)) % OH, b = e / (F * OW * OH), c = o / M;
  float s = 0.0f;
  for (int kh = 0; kh < g[4]; kh++) {
    int ih = oh * g[7] - g[9] + kh; if (ih < 0 || ih >= H) continue;
    for (int kw = 0; kw < g[5]; kw++) {
      int iw = ow * g[8] - g[10] + kw; if (iw < 0 || iw >= W) continue;
      s += x[((long)(b * H + ih) * W + iw) * C + c] * w[(kh * g[5] + kw) * F + o];
    }
  }
  y[e] = s;
}

// M == 1 and C % 8 == 0: 8 channels per work-item
__kernel void dw_fwd8(__global const float* x, __global const float* w, __global float* y, __constant int* g) {
  int e = get_global_id(0); int H = g[1], W = g[2], C = g[3], OH = g[11], OW = g[12], cb = C / 8;
  int c0 = (e % cb) * 8, ow = (e / cb) % OW, oh = (e / (cb * OW)) % OH, b = e / (cb * OW * OH);
  float8 s = (float8)(0.0f);
  for (int kh = 0; kh < g[4]; kh++) {
    int ih = oh * g[7] - g[9] + kh; if (ih < 0 || ih >= H) continue;
    for (int kw = 0; kw < g[5]; kw++) {
      int iw = ow * g[8] - g[10] + kw; if (iw < 0 || iw >= W) continue;
      s = fma(vload8(0, x + ((long)(b * H + ih) * W + iw) * C + c0), vload8(0, w + (kh * g[5] + kw) * C + c0), s);
    }
  }
  vstore8(s, 0, y + ((long)(b * OH + oh) * OW + ow) * C + c0);
}

// dx [B,H,W,C]: each input gathers dy·w over the outputs whose window holds it and its M output channels
__kernel void dw_bwd_data(__global const float* dy, __global const float* w, __global float* dx, __constant int* g, int M) {
  int e = get_global_id(0); int H = g[1], W = g[2], C = g[3], KH = g[4], KW = g[5], F = g[6], SH = g[7], SW = g[8], OH = g[11], OW = g[12];
  int c = e % C, iw = (e / C) % W, ih = (e / (C * W)) % H, b = e / (C * W * H);
  float s = 0.0f;
  for (int kh = 0; kh < KH; kh++) {
    int t = ih + g[9] - kh; if (t < 0 || t % SH) continue; int oh = t / SH; if (oh >= OH) continue;
    for (int kw = 0; kw < KW; kw++) {
      int u = iw + g[10] - kw; if (u < 0 || u % SW) continue; int ow = u / SW; if (ow >= OW) continue;
      for (int j = 0; j < M; j++) s += dy[((long)(b * OH + oh) * OW + ow) * F + c * M + j] * w[(kh * KW + kw) * F + c * M + j];
    }
  }
  dx[e] = s;
}

// partial[p, KH·KW·F]: the share of images [B·p/P, B·(p+1)/P) of dw [KH,KW,C·M] (summed over p afterwards)
__kernel void dw_bwd_filter(__global const float* x, __global const float* dy, __global float* partial, __constant int* g, int M, int P) {
  int e = get_global_id(0); int B = g[0], H = g[1], W = g[2], C = g[3], KW = g[5], F = g[6], OH = g[11], OW = g[12];
  int K = g[4] * KW * F; int p = e / K, k = e % K;
  int o = k % F, kw = (k / F) % KW, kh = k / (F * KW), c = o / M;
  float s = 0.0f;
  for (int b = B * p / P; b < B * (p + 1) / P; b++)
    for (int oh = 0; oh < OH; oh++) {
      int ih = oh * g[7] - g[9] + kh; if (ih < 0 || ih >= H) continue;
      for (int ow = 0; ow < OW; ow++) {
        int iw = ow * g[8] - g[10] + kw; if (iw < 0 || iw >= W) continue;
        s += x[((long)(b * H + ih) * W + iw) * C + c] * dy[((long)(b * OH + oh) * OW + ow) * F + o];
      }
    }
  partial[e] = s;
}

// ---- average pooling (taps inside the image only); g as above with F = C
__kernel void avgpool_fwd(__global const float* x, __global float* y, __constant int* g) {
  int e = get_global_id(0); int H = g[1], W = g[2], C = g[3], OH = g[11], OW = g[12];
  int c = e % C, ow = (e / C) % OW, oh = (e / (C * OW)) % OH, b = e / (C * OW * OH);
  float s = 0.0f; int n = 0;
  for (int kh = 0; kh < g[4]; kh++) for (int kw = 0; kw < g[5]; kw++) {
    int ih = oh * g[7] - g[9] + kh, iw = ow * g[8] - g[10] + kw;
    if (ih >= 0 && ih < H && iw >= 0 && iw < W) { s += x[((long)(b * H + ih) * W + iw) * C + c]; n++; }
  }
  y[e] = n ? s / n : 0.0f;
}

int avg_taps(__constant int* g, int oh, int ow) {
  int h0 = max(0, oh * g[7] - g[9]), h1 = min(g[1], oh * g[7] - g[9] + g[4]);
  int w0 = max(0, ow * g[8] - g[10]), w1 = min(g[2], ow * g[8] - g[10] + g[5]);
  return max(0, h1 - h0) * max(0, w1 - w0);
}

__kernel void avgpool_bwd(__global const float* dy, __global float* dx, __constant int* g) {
  int e = get_global_id(0); int H = g[1], W = g[2], C = g[3], KH = g[4], KW = g[5], SH = g[7], SW = g[8], OH = g[11], OW = g[12];
  int c = e % C, iw = (e / C) % W, ih = (e / (C * W)) % H, b = e / (C * W * H);
  float s = 0.0f;
  for (int kh = 0; kh < KH; kh++) {
    int t = ih + g[9] - kh; if (t < 0 || t % SH) continue; int oh = t / SH; if (oh >= OH) continue;
    for (int kw = 0; kw < KW; kw++) {
      int u = iw + g[10] - kw; if (u < 0 || u % SW) continue; int ow = u / SW; if (ow >= OW) continue;
      s += dy[((long)(b * OH + oh) * OW + ow) * C + c] / avg_taps(g, oh, ow);
    }
  }
  dx[e] = s;
}

// ---- batch normalization over [rows, C]; statistics in P row blocks taken about row 0 (near the mean), finished per channel
__kernel void bn_partial(__global const float* x, __global float* ps, __global float* pq, int rows, int C, int P) {
  int e = get_global_id(0); int c = e % C, p = e / C;
  float k = x[c], s = 0.0f, q = 0.0f;
  for (int r = (int)((long)rows * p / P); r < (int)((long)rows * (p + 1) / P); r++) { float d = x[(long)r * C + c] - k; s += d; q = fma(d, d, q); }
  ps[e] = s; pq[e] = q;
}

__kernel void bn_moments(__global const float* ps, __global const float* pq, __global const float* x, __global float* mean, __global float* var, int rows, int C, int P) {
  int c = get_global_id(0); float s = 0.0f, q = 0.0f;
  for (int p = 0; p < P; p++) { s += ps[p * C + c]; q += pq[p * C + c]; }
  float m = s / rows;
  mean[c] = x[c] + m; var[c] = fmax(0.0f, q / rows - m * m);
}

__kernel void bn_fwd(__global const float* x, __global const float* mean, __global const float* var, __global const float* gamma, __global const float* beta,
                     __global float* y, int C, float eps) {
  int i = get_global_id(0); int c = i % C;
  y[i] = (x[i] - mean[c]) * rsqrt(var[c] + eps) * gamma[c] + beta[c];
}

__kernel void bn_bwd_partial(__global const float* x, __global const float* dy, __global float* ps, __global float* pq, int rows, int C, int P) {
  int e = get_global_id(0); int c = e % C, p = e / C;
  float s = 0.0f, q = 0.0f;
  for (int r = (int)((long)rows * p / P); r < (int)((long)rows * (p + 1) / P); r++) { float g = dy[(long)r * C + c]; s += g; q = fma(g, x[(long)r * C + c], q); }
  ps[e] = s; pq[e] = q;
}

// per channel: dγ, dβ and k = (k1, k2, k3) of dx = k1·dy + k2·x + k3
__kernel void bn_bwd_coef(__global const float* ps, __global const float* pq, __global const float* mean, __global const float* var, __global const float* gamma,
                          __global float* dgamma, __global float* dbeta, __global float* k, int rows, int C, int P, float eps, int training) {
  int c = get_global_id(0); float sdy = 0.0f, sdyx = 0.0f;
  for (int p = 0; p < P; p++) { sdy += ps[p * C + c]; sdyx += pq[p * C + c]; }
  float inv = rsqrt(var[c] + eps), dg = (sdyx - mean[c] * sdy) * inv, a = gamma[c] * inv;
  dgamma[c] = dg; dbeta[c] = sdy;
  float b = training ? -a * inv * dg / rows : 0.0f;
  k[c] = a; k[C + c] = b; k[2 * C + c] = training ? -a * sdy / rows - b * mean[c] : 0.0f;
}

__kernel void bn_bwd_apply(__global const float* x, __global const float* dy, __global const float* k, __global float* dx, int C) {
  int i = get_global_id(0); int c = i % C;
  dx[i] = fma(dy[i], k[c], fma(x[i], k[C + c], k[2 * C + c]));
}

__kernel void moving_avg(__global float* m, __global const float* b, float momentum, float scale) {
  int i = get_global_id(0); m[i] = momentum * m[i] + (1.0f - momentum) * scale * b[i];
}

// ---- zero padding: y [B, H+t+bo, W+l+r, C] from x [B,H,W,C], and the crop back
__kernel void zero_pad(__global const float* x, __global float* y, int H, int W, int C, int top, int left, int HP, int WP) {
  int e = get_global_id(0); int c = e % C, pw = (e / C) % WP, ph = (e / (C * WP)) % HP, b = e / (C * WP * HP);
  int ih = ph - top, iw = pw - left;
  y[e] = (ih >= 0 && ih < H && iw >= 0 && iw < W) ? x[((long)(b * H + ih) * W + iw) * C + c] : 0.0f;
}

__kernel void zero_pad_bwd(__global const float* dy, __global float* dx, int H, int W, int C, int top, int left, int HP, int WP) {
  int e = get_global_id(0); int c = e % C, iw = (e / C) % W, ih = (e / (C * W)) % H, b = e / (C * W * H);
  dx[e] = dy[((long)(b * HP + ih + top) * WP + iw + left) * C + c];
}
