// Matrix products with bf16 inputs and fp32 accumulation, through oneDNN's matmul primitive (its C
// API has no bf16 GEMM call). Each thread keeps its own stream, primitives (one per shape, built on
// first use) and bf16 copies of the inputs, so workers never share or lock anything.

#include "a3c_kernels.h"

#include <dlfcn.h>
#include <dnnl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

static _Thread_local int thread_precision;

void a3c_omp_single_thread(void) {
    static _Thread_local int configured;
    if (configured) return;
    configured = 1;
    // libgomp arrives with libdnnl: its omp_set_num_threads is looked up at run time instead of
    // linking a library that has no dev symlink.
    void (*set_threads)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
    if (set_threads) set_threads(1);
}

void a3c_set_thread_precision(int precision) { thread_precision = precision; }

int a3c_thread_precision(void) { return thread_precision; }

/// CPUID leaf 7's feature words: subleaf 1's EAX (bit 5: AVX512-BF16) and subleaf 0's EDX
/// (bit 22: AMX-BF16), read once.
static void cpu_features(unsigned *leaf7_1_eax, unsigned *leaf7_0_edx) {
    static int known;
    static unsigned eax, edx;
    if (!known) {
#if defined(__x86_64__)
        unsigned a, b, c, d;
        if (__get_cpuid_max(0, 0) >= 7) {
            __cpuid_count(7, 1, a, b, c, d);
            eax = a;
            __cpuid_count(7, 0, a, b, c, d);
            edx = d;
        }
#endif
        known = 1;
    }
    *leaf7_1_eax = eax;
    *leaf7_0_edx = edx;
}

static int has_avx512bf16(void) {
    unsigned eax, edx;
    cpu_features(&eax, &edx);
    return (eax >> 5) & 1;
}

int a3c_cpu_has_bf16(void) {
    unsigned eax, edx;
    cpu_features(&eax, &edx);
    return ((eax >> 5) & 1) || ((edx >> 22) & 1);
}

/// fp32 to bf16, rounding to nearest even (NaN stays NaN).
static inline uint16_t to_bf16(float value) {
    uint32_t bits;
    memcpy(&bits, &value, 4);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return (uint16_t)(bits >> 16);
}

#if defined(__x86_64__)
#include <immintrin.h>

/// 32 floats per instruction with AVX512-BF16's converter (nearest even, as `to_bf16`).
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static void to_bf16_avx512(const float *source, uint16_t *target, long count) {
    long i = 0;
    for (; i + 32 <= count; i += 32) {
        __m512 low = _mm512_loadu_ps(source + i), high = _mm512_loadu_ps(source + i + 16);
        __m512bh packed = _mm512_cvtne2ps_pbh(high, low);
        _mm512_storeu_si512((void *)(target + i), (__m512i)packed);
    }
    for (; i < count; i++) target[i] = to_bf16(source[i]);
}

#endif

void a3c_to_bf16(const float *source, unsigned short *target, long count) {
#if defined(__x86_64__)
    if (has_avx512bf16()) {
        to_bf16_avx512(source, target, count);
        return;
    }
#endif
    for (long i = 0; i < count; i++) target[i] = to_bf16(source[i]);
}

void a3c_from_bf16(const unsigned short *source, float *target, long count) {
    for (long i = 0; i < count; i++) {
        uint32_t bits = (uint32_t)source[i] << 16;
        memcpy(&target[i], &bits, 4);
    }
}

/// `rows` rows of `columns` floats, `stride` apart, packed into bf16.
static void pack(const float *source, long rows, long columns, long stride, uint16_t *target) {
    for (long r = 0; r < rows; r++) a3c_to_bf16(source + r * stride, target + r * columns, columns);
}

typedef struct {
    int trans_a, trans_b;
    long m, n, k, ldc;
    float alpha, beta;
    dnnl_primitive_t primitive;
    dnnl_memory_t a, b, c;
} Entry;

enum { CACHE = 64 };

typedef struct {
    dnnl_stream_t stream;
    Entry entries[CACHE];
    int count, next;
    uint16_t *a, *b;
    long a_capacity, b_capacity;
} ThreadState;

static dnnl_engine_t engine;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static char isa[128] = "";
static pthread_mutex_t isa_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local ThreadState *state;

static void make_engine(void) {
    if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success) engine = NULL;
}

const char *a3c_bf16_implementation(void) {
    static char copy[128];
    pthread_mutex_lock(&isa_lock);
    memcpy(copy, isa, sizeof copy);
    pthread_mutex_unlock(&isa_lock);
    return copy;
}

static int ensure(uint16_t **buffer, long *capacity, long needed) {
    if (needed <= *capacity) return 0;
    uint16_t *grown = realloc(*buffer, (size_t)needed * sizeof(uint16_t));
    if (!grown) return -1;
    *buffer = grown;
    *capacity = needed;
    return 0;
}

static void release(Entry *e) {
    if (e->primitive) dnnl_primitive_destroy(e->primitive);
    if (e->a) dnnl_memory_destroy(e->a);
    if (e->b) dnnl_memory_destroy(e->b);
    if (e->c) dnnl_memory_destroy(e->c);
    memset(e, 0, sizeof *e);
}

/// Builds the matmul for one shape: op(A) [m, k] and op(B) [k, n] packed bf16, C [m, n] fp32 with
/// row stride ldc, C = alpha * op(A) op(B) + beta * C.
static int build(Entry *e) {
    dnnl_memory_desc_t a, b, c;
    dnnl_dims_t a_dims = {e->m, e->k}, b_dims = {e->k, e->n}, c_dims = {e->m, e->n};
    dnnl_dims_t a_strides = {e->trans_a ? 1 : e->k, e->trans_a ? e->m : 1};
    dnnl_dims_t b_strides = {e->trans_b ? 1 : e->n, e->trans_b ? e->k : 1};
    dnnl_dims_t c_strides = {e->ldc, 1};
    if (dnnl_memory_desc_init_by_strides(&a, 2, a_dims, dnnl_bf16, a_strides) != dnnl_success) return -1;
    if (dnnl_memory_desc_init_by_strides(&b, 2, b_dims, dnnl_bf16, b_strides) != dnnl_success) return -1;
    if (dnnl_memory_desc_init_by_strides(&c, 2, c_dims, dnnl_f32, c_strides) != dnnl_success) return -1;
    dnnl_matmul_desc_t descriptor;
    if (dnnl_matmul_desc_init(&descriptor, &a, &b, NULL, &c) != dnnl_success) return -1;
    dnnl_primitive_attr_t attributes;
    if (dnnl_primitive_attr_create(&attributes) != dnnl_success) return -1;
    int failed = 0;
    if (e->alpha != 1.0f) failed |= dnnl_primitive_attr_set_output_scales(attributes, 1, 0, &e->alpha) != dnnl_success;
    if (e->beta != 0.0f) {
        dnnl_post_ops_t post;
        failed |= dnnl_post_ops_create(&post) != dnnl_success;
        if (!failed) {
            failed |= dnnl_post_ops_append_sum(post, e->beta) != dnnl_success;
            failed |= dnnl_primitive_attr_set_post_ops(attributes, post) != dnnl_success;
            dnnl_post_ops_destroy(post);
        }
    }
    dnnl_primitive_desc_t primitive_descriptor = NULL;
    if (!failed) failed |= dnnl_primitive_desc_create(&primitive_descriptor, &descriptor, attributes, engine, NULL) != dnnl_success;
    dnnl_primitive_attr_destroy(attributes);
    if (failed) return -1;
    const char *name = NULL;
    if (dnnl_primitive_desc_query(primitive_descriptor, dnnl_query_impl_info_str, 0, &name) == dnnl_success && name) {
        pthread_mutex_lock(&isa_lock);
        strncpy(isa, name, sizeof isa - 1);
        pthread_mutex_unlock(&isa_lock);
    }
    failed |= dnnl_primitive_create(&e->primitive, primitive_descriptor) != dnnl_success;
    dnnl_primitive_desc_destroy(primitive_descriptor);
    failed |= dnnl_memory_create(&e->a, &a, engine, DNNL_MEMORY_NONE) != dnnl_success;
    failed |= dnnl_memory_create(&e->b, &b, engine, DNNL_MEMORY_NONE) != dnnl_success;
    failed |= dnnl_memory_create(&e->c, &c, engine, DNNL_MEMORY_NONE) != dnnl_success;
    if (failed) release(e);
    return failed ? -1 : 0;
}

int a3c_gemm_bf16(int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
                  const float *b, long ldb, float beta, float *c, long ldc) {
    pthread_once(&engine_once, make_engine);
    if (!engine) return -1;
    if (!state) {
        state = calloc(1, sizeof *state);
        if (!state) return -1;
        if (dnnl_stream_create(&state->stream, engine, dnnl_stream_default_flags) != dnnl_success) {
            free(state);
            state = NULL;
            return -1;
        }
    }
    Entry *entry = NULL;
    for (int i = 0; i < state->count && !entry; i++) {
        Entry *e = &state->entries[i];
        if (e->trans_a == trans_a && e->trans_b == trans_b && e->m == m && e->n == n && e->k == k && e->ldc == ldc
            && e->alpha == alpha && e->beta == beta)
            entry = e;
    }
    if (!entry) {
        int slot = state->count < CACHE ? state->count++ : (state->next++ % CACHE);
        entry = &state->entries[slot];
        release(entry);
        *entry = (Entry){.trans_a = trans_a, .trans_b = trans_b, .m = m, .n = n, .k = k, .ldc = ldc, .alpha = alpha, .beta = beta};
        if (build(entry) != 0) return -1;
    }
    // A as stored: [m, k] rows (or, transposed, [k, m] rows), packed; the same for B.
    if (ensure(&state->a, &state->a_capacity, m * k) || ensure(&state->b, &state->b_capacity, k * n)) return -1;
    if (trans_a) pack(a, k, m, lda, state->a); else pack(a, m, k, lda, state->a);
    if (trans_b) pack(b, n, k, ldb, state->b); else pack(b, k, n, ldb, state->b);
    dnnl_memory_set_data_handle(entry->a, state->a);
    dnnl_memory_set_data_handle(entry->b, state->b);
    dnnl_memory_set_data_handle(entry->c, c);
    dnnl_exec_arg_t arguments[3] = {{DNNL_ARG_SRC, entry->a}, {DNNL_ARG_WEIGHTS, entry->b}, {DNNL_ARG_DST, entry->c}};
    if (dnnl_primitive_execute(entry->primitive, state->stream, 3, arguments) != dnnl_success) return -1;
    return dnnl_stream_wait(state->stream) == dnnl_success ? 0 : -1;
}
