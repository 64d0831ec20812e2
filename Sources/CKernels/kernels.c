#include "a3c_kernels.h"

#include <immintrin.h>
#include <math.h>

// ---- portable ----------------------------------------------------------------------------------

static void rmsprop_portable(float *p, const float *g, float *a, long n, float lr, float alpha, float eps, int outside) {
    const float beta = 1.0f - alpha;
    for (long i = 0; i < n; i++) {
        float s = alpha * a[i] + beta * g[i] * g[i];
        a[i] = s;
        p[i] -= lr * g[i] / (outside ? sqrtf(s) + eps : sqrtf(s + eps));
    }
}

static void adam_portable(float *p, const float *g, float *m, float *v, long n, float step, float b1, float b2, float eps) {
    for (long i = 0; i < n; i++) {
        float mi = b1 * m[i] + (1.0f - b1) * g[i];
        float vi = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
        m[i] = mi;
        v[i] = vi;
        p[i] -= step * mi / (sqrtf(vi) + eps);
    }
}

static double squares_portable(const float *x, long n) {
    double sum = 0;
    for (long i = 0; i < n; i++) sum += (double)x[i] * x[i];
    return sum;
}

static void scale_portable(float *x, long n, float s) {
    for (long i = 0; i < n; i++) x[i] *= s;
}


// ReLU as Swift's max(x, 0) wrote it: 0 >= x ? 0 : x, so NaN passes through and -0 becomes +0;
// the gradient passes where the output is above 0. Without branches: the signs are random, and a
// mispredicted branch per element made these loops a twentieth of a PPO update.
static void relu_forward_portable(const float *x, float *y, long n) {
    for (long i = 0; i < n; i++) y[i] = 0.0f >= x[i] ? 0.0f : x[i];
}

static void relu_backward_portable(const float *y, const float *g, float *gin, long n) {
    for (long i = 0; i < n; i++) gin[i] = y[i] > 0.0f ? g[i] : 0.0f;
}

static void elu_forward_portable(const float *x, float *y, long n) {
    for (long i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : expm1f(x[i]);
}

static void elu_backward_portable(const float *x, const float *y, const float *g, float *gin, long n) {
    // For x <= 0 the derivative exp(x) is the output plus one.
    for (long i = 0; i < n; i++) gin[i] = x[i] > 0 ? g[i] : g[i] * (y[i] + 1.0f);
}

// expm1 for x <= 0 in vectors: x = k ln2 + r with |r| <= ln2/2 (Cody-Waite's two-part ln2), the
// Taylor series of expm1(r) to r^8 (truncation below 2e-10), then 2^k expm1(r) + (2^k - 1), which
// is expm1(r) itself when k = 0, so no cancellation near 0. Inputs are clamped to [-87, 0]: below,
// the float result is -1 anyway; above, the caller keeps x.
#define EXPM1_C1 0.693359375f
#define EXPM1_C2 -2.12194440e-4f

// ---- AVX2 + FMA --------------------------------------------------------------------------------

__attribute__((target("avx2,fma"))) static void rmsprop_avx2(float *p, const float *g, float *a, long n, float lr,
                                                              float alpha, float eps, int outside) {
    const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(1.0f - alpha), ve = _mm256_set1_ps(eps),
                 vl = _mm256_set1_ps(lr);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i);
        __m256 s = _mm256_fmadd_ps(vb, _mm256_mul_ps(gi, gi), _mm256_mul_ps(va, _mm256_loadu_ps(a + i)));
        _mm256_storeu_ps(a + i, s);
        __m256 root = outside ? _mm256_add_ps(_mm256_sqrt_ps(s), ve) : _mm256_sqrt_ps(_mm256_add_ps(s, ve));
        __m256 step = _mm256_div_ps(_mm256_mul_ps(vl, gi), root);
        _mm256_storeu_ps(p + i, _mm256_sub_ps(_mm256_loadu_ps(p + i), step));
    }
    rmsprop_portable(p + i, g + i, a + i, n - i, lr, alpha, eps, outside);
}

__attribute__((target("avx2,fma"))) static void adam_avx2(float *p, const float *g, float *m, float *v, long n,
                                                           float step, float b1, float b2, float eps) {
    const __m256 vb1 = _mm256_set1_ps(b1), vc1 = _mm256_set1_ps(1.0f - b1), vb2 = _mm256_set1_ps(b2),
                 vc2 = _mm256_set1_ps(1.0f - b2), ve = _mm256_set1_ps(eps), vs = _mm256_set1_ps(step);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i);
        __m256 mi = _mm256_fmadd_ps(vc1, gi, _mm256_mul_ps(vb1, _mm256_loadu_ps(m + i)));
        __m256 vi = _mm256_fmadd_ps(vc2, _mm256_mul_ps(gi, gi), _mm256_mul_ps(vb2, _mm256_loadu_ps(v + i)));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        __m256 update = _mm256_div_ps(_mm256_mul_ps(vs, mi), _mm256_add_ps(_mm256_sqrt_ps(vi), ve));
        _mm256_storeu_ps(p + i, _mm256_sub_ps(_mm256_loadu_ps(p + i), update));
    }
    adam_portable(p + i, g + i, m + i, v + i, n - i, step, b1, b2, eps);
}

__attribute__((target("avx2,fma"))) static double squares_avx2(const float *x, long n) {
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 xi = _mm256_loadu_ps(x + i);
        __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(xi)), hi = _mm256_cvtps_pd(_mm256_extractf128_ps(xi, 1));
        s0 = _mm256_fmadd_pd(lo, lo, s0);
        s1 = _mm256_fmadd_pd(hi, hi, s1);
    }
    double lanes[4];
    _mm256_storeu_pd(lanes, _mm256_add_pd(s0, s1));
    return lanes[0] + lanes[1] + lanes[2] + lanes[3] + squares_portable(x + i, n - i);
}

__attribute__((target("avx2,fma"))) static void scale_avx2(float *x, long n, float s) {
    const __m256 vs = _mm256_set1_ps(s);
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), vs));
    scale_portable(x + i, n - i, s);
}

__attribute__((target("avx2,fma"))) static __m256 expm1_nonpositive_avx2(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_setzero_ps());
    __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(EXPM1_C1), x);
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(EXPM1_C2), r);
    __m256 p = _mm256_set1_ps(1.0f / 40320);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 5040));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    __m256 q = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r);
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
    __m256 t = _mm256_castsi256_ps(bits);
    return _mm256_fmadd_ps(t, q, _mm256_sub_ps(t, _mm256_set1_ps(1.0f)));
}

__attribute__((target("avx2,fma"))) static void elu_forward_avx2(const float *x, float *y, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 xi = _mm256_loadu_ps(x + i);
        // Positive or NaN inputs pass through.
        __m256 keep = _mm256_cmp_ps(xi, _mm256_setzero_ps(), _CMP_NLE_UQ);
        _mm256_storeu_ps(y + i, _mm256_blendv_ps(expm1_nonpositive_avx2(xi), xi, keep));
    }
    elu_forward_portable(x + i, y + i, n - i);
}

__attribute__((target("avx2,fma"))) static void relu_forward_avx2(const float *x, float *y, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 xi = _mm256_loadu_ps(x + i);
        __m256 zero = _mm256_cmp_ps(_mm256_setzero_ps(), xi, _CMP_GE_OQ);
        _mm256_storeu_ps(y + i, _mm256_andnot_ps(zero, xi));
    }
    relu_forward_portable(x + i, y + i, n - i);
}

__attribute__((target("avx2,fma"))) static void relu_backward_avx2(const float *y, const float *g, float *gin, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 positive = _mm256_cmp_ps(_mm256_loadu_ps(y + i), _mm256_setzero_ps(), _CMP_GT_OQ);
        _mm256_storeu_ps(gin + i, _mm256_and_ps(positive, _mm256_loadu_ps(g + i)));
    }
    relu_backward_portable(y + i, g + i, gin + i, n - i);
}

__attribute__((target("avx2,fma"))) static void elu_backward_avx2(const float *x, const float *y, const float *g,
                                                                   float *gin, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i);
        __m256 positive = _mm256_cmp_ps(_mm256_loadu_ps(x + i), _mm256_setzero_ps(), _CMP_GT_OQ);
        __m256 scaled = _mm256_mul_ps(gi, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_set1_ps(1.0f)));
        _mm256_storeu_ps(gin + i, _mm256_blendv_ps(scaled, gi, positive));
    }
    elu_backward_portable(x + i, y + i, g + i, gin + i, n - i);
}

// ---- AVX-512 -----------------------------------------------------------------------------------

__attribute__((target("avx512f"))) static void rmsprop_avx512(float *p, const float *g, float *a, long n, float lr,
                                                               float alpha, float eps, int outside) {
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(1.0f - alpha), ve = _mm512_set1_ps(eps),
                 vl = _mm512_set1_ps(lr);
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 gi = _mm512_loadu_ps(g + i);
        __m512 s = _mm512_fmadd_ps(vb, _mm512_mul_ps(gi, gi), _mm512_mul_ps(va, _mm512_loadu_ps(a + i)));
        _mm512_storeu_ps(a + i, s);
        __m512 root = outside ? _mm512_add_ps(_mm512_sqrt_ps(s), ve) : _mm512_sqrt_ps(_mm512_add_ps(s, ve));
        __m512 step = _mm512_div_ps(_mm512_mul_ps(vl, gi), root);
        _mm512_storeu_ps(p + i, _mm512_sub_ps(_mm512_loadu_ps(p + i), step));
    }
    rmsprop_portable(p + i, g + i, a + i, n - i, lr, alpha, eps, outside);
}

__attribute__((target("avx512f"))) static void adam_avx512(float *p, const float *g, float *m, float *v, long n,
                                                            float step, float b1, float b2, float eps) {
    const __m512 vb1 = _mm512_set1_ps(b1), vc1 = _mm512_set1_ps(1.0f - b1), vb2 = _mm512_set1_ps(b2),
                 vc2 = _mm512_set1_ps(1.0f - b2), ve = _mm512_set1_ps(eps), vs = _mm512_set1_ps(step);
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 gi = _mm512_loadu_ps(g + i);
        __m512 mi = _mm512_fmadd_ps(vc1, gi, _mm512_mul_ps(vb1, _mm512_loadu_ps(m + i)));
        __m512 vi = _mm512_fmadd_ps(vc2, _mm512_mul_ps(gi, gi), _mm512_mul_ps(vb2, _mm512_loadu_ps(v + i)));
        _mm512_storeu_ps(m + i, mi);
        _mm512_storeu_ps(v + i, vi);
        __m512 update = _mm512_div_ps(_mm512_mul_ps(vs, mi), _mm512_add_ps(_mm512_sqrt_ps(vi), ve));
        _mm512_storeu_ps(p + i, _mm512_sub_ps(_mm512_loadu_ps(p + i), update));
    }
    adam_portable(p + i, g + i, m + i, v + i, n - i, step, b1, b2, eps);
}

__attribute__((target("avx512f"))) static double squares_avx512(const float *x, long n) {
    __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 xi = _mm512_loadu_ps(x + i);
        __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(xi));
        __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(xi), 1)));
        s0 = _mm512_fmadd_pd(lo, lo, s0);
        s1 = _mm512_fmadd_pd(hi, hi, s1);
    }
    return _mm512_reduce_add_pd(_mm512_add_pd(s0, s1)) + squares_portable(x + i, n - i);
}

__attribute__((target("avx512f"))) static void scale_avx512(float *x, long n, float s) {
    const __m512 vs = _mm512_set1_ps(s);
    long i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_loadu_ps(x + i), vs));
    scale_portable(x + i, n - i, s);
}

__attribute__((target("avx512f"))) static __m512 expm1_nonpositive_avx512(__m512 x) {
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0f)), _mm512_setzero_ps());
    __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(EXPM1_C1), x);
    r = _mm512_fnmadd_ps(k, _mm512_set1_ps(EXPM1_C2), r);
    __m512 p = _mm512_set1_ps(1.0f / 40320);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 5040));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    __m512 q = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r);
    __m512 t = _mm512_scalef_ps(_mm512_set1_ps(1.0f), k);
    return _mm512_fmadd_ps(t, q, _mm512_sub_ps(t, _mm512_set1_ps(1.0f)));
}

__attribute__((target("avx512f"))) static void elu_forward_avx512(const float *x, float *y, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 xi = _mm512_loadu_ps(x + i);
        // Positive or NaN inputs pass through.
        __mmask16 keep = _mm512_cmp_ps_mask(xi, _mm512_setzero_ps(), _CMP_NLE_UQ);
        _mm512_storeu_ps(y + i, _mm512_mask_blend_ps(keep, expm1_nonpositive_avx512(xi), xi));
    }
    elu_forward_portable(x + i, y + i, n - i);
}

__attribute__((target("avx512f"))) static void relu_forward_avx512(const float *x, float *y, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 xi = _mm512_loadu_ps(x + i);
        __mmask16 keep = _mm512_cmp_ps_mask(_mm512_setzero_ps(), xi, _CMP_NGE_UQ);
        _mm512_storeu_ps(y + i, _mm512_maskz_mov_ps(keep, xi));
    }
    relu_forward_portable(x + i, y + i, n - i);
}

__attribute__((target("avx512f"))) static void relu_backward_avx512(const float *y, const float *g, float *gin, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __mmask16 positive = _mm512_cmp_ps_mask(_mm512_loadu_ps(y + i), _mm512_setzero_ps(), _CMP_GT_OQ);
        _mm512_storeu_ps(gin + i, _mm512_maskz_loadu_ps(positive, g + i));
    }
    relu_backward_portable(y + i, g + i, gin + i, n - i);
}

__attribute__((target("avx512f"))) static void elu_backward_avx512(const float *x, const float *y, const float *g,
                                                                    float *gin, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 gi = _mm512_loadu_ps(g + i);
        __mmask16 positive = _mm512_cmp_ps_mask(_mm512_loadu_ps(x + i), _mm512_setzero_ps(), _CMP_GT_OQ);
        __m512 scaled = _mm512_mul_ps(gi, _mm512_add_ps(_mm512_loadu_ps(y + i), _mm512_set1_ps(1.0f)));
        _mm512_storeu_ps(gin + i, _mm512_mask_blend_ps(positive, scaled, gi));
    }
    elu_backward_portable(x + i, y + i, g + i, gin + i, n - i);
}

// ---- dispatch ----------------------------------------------------------------------------------

enum isa { ISA_UNKNOWN, ISA_PORTABLE, ISA_AVX2, ISA_AVX512 };
static int chosen = ISA_UNKNOWN;

static enum isa detect(void) {
    // Every thread may detect at once and they agree; atomic loads and stores make that a
    // well-defined race rather than a data race.
    int isa = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
    if (isa == ISA_UNKNOWN) {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f")) isa = ISA_AVX512;
        else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) isa = ISA_AVX2;
        else isa = ISA_PORTABLE;
        __atomic_store_n(&chosen, isa, __ATOMIC_RELAXED);
    }
    return (enum isa)isa;
}

void a3c_rmsprop_step(float *params, const float *grad, float *avg, long count, float lr, float alpha, float eps,
                      int eps_outside) {
    switch (detect()) {
    case ISA_AVX512: rmsprop_avx512(params, grad, avg, count, lr, alpha, eps, eps_outside); break;
    case ISA_AVX2: rmsprop_avx2(params, grad, avg, count, lr, alpha, eps, eps_outside); break;
    default: rmsprop_portable(params, grad, avg, count, lr, alpha, eps, eps_outside);
    }
}

void a3c_adam_step(float *params, const float *grad, float *m, float *v, long count, float step_size, float beta1,
                   float beta2, float eps) {
    switch (detect()) {
    case ISA_AVX512: adam_avx512(params, grad, m, v, count, step_size, beta1, beta2, eps); break;
    case ISA_AVX2: adam_avx2(params, grad, m, v, count, step_size, beta1, beta2, eps); break;
    default: adam_portable(params, grad, m, v, count, step_size, beta1, beta2, eps);
    }
}

double a3c_sum_of_squares(const float *x, long count) {
    switch (detect()) {
    case ISA_AVX512: return squares_avx512(x, count);
    case ISA_AVX2: return squares_avx2(x, count);
    default: return squares_portable(x, count);
    }
}

void a3c_scale(float *x, long count, float scale) {
    switch (detect()) {
    case ISA_AVX512: scale_avx512(x, count, scale); break;
    case ISA_AVX2: scale_avx2(x, count, scale); break;
    default: scale_portable(x, count, scale);
    }
}

void a3c_relu_forward(const float *x, float *y, long count) {
    switch (detect()) {
    case ISA_AVX512: relu_forward_avx512(x, y, count); break;
    case ISA_AVX2: relu_forward_avx2(x, y, count); break;
    default: relu_forward_portable(x, y, count);
    }
}

void a3c_relu_backward(const float *y, const float *grad, float *input_grad, long count) {
    switch (detect()) {
    case ISA_AVX512: relu_backward_avx512(y, grad, input_grad, count); break;
    case ISA_AVX2: relu_backward_avx2(y, grad, input_grad, count); break;
    default: relu_backward_portable(y, grad, input_grad, count);
    }
}

void a3c_elu_forward(const float *x, float *y, long count) {
    switch (detect()) {
    case ISA_AVX512: elu_forward_avx512(x, y, count); break;
    case ISA_AVX2: elu_forward_avx2(x, y, count); break;
    default: elu_forward_portable(x, y, count);
    }
}

void a3c_elu_backward(const float *x, const float *y, const float *grad, float *input_grad, long count) {
    switch (detect()) {
    case ISA_AVX512: elu_backward_avx512(x, y, grad, input_grad, count); break;
    case ISA_AVX2: elu_backward_avx2(x, y, grad, input_grad, count); break;
    default: elu_backward_portable(x, y, grad, input_grad, count);
    }
}

const char *a3c_kernels_isa(void) {
    switch (detect()) {
    case ISA_AVX512: return "avx512";
    case ISA_AVX2: return "avx2";
    default: return "portable";
    }
}

void a3c_flush_subnormals_to_zero(void) {
#if defined(__x86_64__) || defined(__i386__)
    _mm_setcsr(_mm_getcsr() | 0x8040);  // FTZ (bit 15) and DAZ (bit 6)
#elif defined(__aarch64__)
    unsigned long fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    __asm__ volatile("msr fpcr, %0" : : "r"(fpcr | (1UL << 24)));  // FZ
#endif
}
