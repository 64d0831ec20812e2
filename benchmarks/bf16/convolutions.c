// oneDNN's own convolution primitives on the convolutions of the paper and Nature networks, fp32 and
// bf16, one thread, against the four dnnl_sgemm products that SpaceToDepthConvKernel runs for the same
// pass (where kernel = 2 x stride).
// Activations are NHWC as the network keeps them; weights take the layout oneDNN asks for (their
// reorder is timed apart: it runs once per update). bf16 passes read bf16 activations; the reorder
// of an fp32 input to bf16 is timed apart too. Outputs and weight gradients stay fp32 where oneDNN
// allows it.
// The "-s2d" layers are the first convolutions after space-to-depth (8x8 stride 4 on 84x84x4 is 2x2
// stride 1 on 21x21x64), as oneDNN would run them on rearranged frames. The "-fold" layers read the
// same NHWC memory with each row's stride-wide runs of pixels taken as channels (84x84x4 is 84x21x16;
// an 8x8 stride-4 kernel is then 8x2 with strides 4 and 1): the weights' ohwi memory is unchanged.
//   gcc -O2 -o /tmp/bf16-convolutions benchmarks/bf16/convolutions.c -ldnnl && OMP_NUM_THREADS=1 /tmp/bf16-convolutions [LAYER [ROWS...]]
// It builds against oneDNN 2.x (Debian's) and 3.x (e.g. the onednn-cpu-gomp wheel: add -I and -L to its
// include and lib folders, and LD_LIBRARY_PATH to run).
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(call) do { dnnl_status_t s_ = (call); if (s_ != dnnl_success) { \
    fprintf(stderr, "%s:%d: %s failed (%d)\n", __FILE__, __LINE__, #call, (int)s_); return -1; } } while (0)

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static dnnl_engine_t engine;
static dnnl_stream_t stream;

// Memory descriptors and convolution descriptors in both C APIs (2.x: structs, 3.x: handles).
#if DNNL_VERSION_MAJOR >= 3
typedef const_dnnl_memory_desc_t MDP;
static MDP md(int nd, const dnnl_dims_t dims, dnnl_data_type_t dt, dnnl_format_tag_t tag) {
    dnnl_memory_desc_t m;
    if (dnnl_memory_desc_create_with_tag(&m, nd, dims, dt, tag) != dnnl_success) { fprintf(stderr, "memory desc\n"); exit(1); }
    return m;
}
static dnnl_data_type_t md_type(MDP m) { dnnl_data_type_t t; dnnl_memory_desc_query(m, dnnl_query_data_type, &t); return t; }
static const dnnl_dims_t no_dilation = {0, 0};
static dnnl_status_t conv_forward(dnnl_primitive_desc_t *pd, MDP src, MDP w, MDP b, MDP dst, const dnnl_dims_t st, const dnnl_dims_t pad) {
    return dnnl_convolution_forward_primitive_desc_create(pd, engine, dnnl_forward_training, dnnl_convolution_direct,
        src, w, b, dst, st, no_dilation, pad, pad, NULL);
}
static dnnl_status_t conv_weights(dnnl_primitive_desc_t *pd, MDP src, MDP dw, MDP db, MDP ddst, const dnnl_dims_t st, const dnnl_dims_t pad, dnnl_primitive_desc_t hint) {
    return dnnl_convolution_backward_weights_primitive_desc_create(pd, engine, dnnl_convolution_direct,
        src, dw, db, ddst, st, no_dilation, pad, pad, hint, NULL);
}
static dnnl_status_t conv_data(dnnl_primitive_desc_t *pd, MDP dsrc, MDP w, MDP ddst, const dnnl_dims_t st, const dnnl_dims_t pad, dnnl_primitive_desc_t hint) {
    return dnnl_convolution_backward_data_primitive_desc_create(pd, engine, dnnl_convolution_direct,
        dsrc, w, ddst, st, no_dilation, pad, pad, hint, NULL);
}
#else
typedef const dnnl_memory_desc_t *MDP;
static MDP md(int nd, const dnnl_dims_t dims, dnnl_data_type_t dt, dnnl_format_tag_t tag) {
    dnnl_memory_desc_t *m = malloc(sizeof *m);
    if (dnnl_memory_desc_init_by_tag(m, nd, dims, dt, tag) != dnnl_success) { fprintf(stderr, "memory desc\n"); exit(1); }
    return m;
}
static dnnl_data_type_t md_type(MDP m) { return m->data_type; }
static dnnl_status_t conv_forward(dnnl_primitive_desc_t *pd, MDP src, MDP w, MDP b, MDP dst, const dnnl_dims_t st, const dnnl_dims_t pad) {
    dnnl_convolution_desc_t d;
    dnnl_status_t s = dnnl_convolution_forward_desc_init(&d, dnnl_forward_training, dnnl_convolution_direct, src, w, b, dst, st, pad, pad);
    return s != dnnl_success ? s : dnnl_primitive_desc_create(pd, &d, NULL, engine, NULL);
}
static dnnl_status_t conv_weights(dnnl_primitive_desc_t *pd, MDP src, MDP dw, MDP db, MDP ddst, const dnnl_dims_t st, const dnnl_dims_t pad, dnnl_primitive_desc_t hint) {
    dnnl_convolution_desc_t d;
    dnnl_status_t s = dnnl_convolution_backward_weights_desc_init(&d, dnnl_convolution_direct, src, dw, db, ddst, st, pad, pad);
    return s != dnnl_success ? s : dnnl_primitive_desc_create(pd, &d, NULL, engine, hint);
}
static dnnl_status_t conv_data(dnnl_primitive_desc_t *pd, MDP dsrc, MDP w, MDP ddst, const dnnl_dims_t st, const dnnl_dims_t pad, dnnl_primitive_desc_t hint) {
    dnnl_convolution_desc_t d;
    dnnl_status_t s = dnnl_convolution_backward_data_desc_init(&d, dnnl_convolution_direct, dsrc, w, ddst, st, pad, pad);
    return s != dnnl_success ? s : dnnl_primitive_desc_create(pd, &d, NULL, engine, hint);
}
#endif

static dnnl_memory_t memory(MDP md) {
    dnnl_memory_t m;
    if (dnnl_memory_create(&m, md, engine, DNNL_MEMORY_ALLOCATE) != dnnl_success) { fprintf(stderr, "memory\n"); exit(1); }
    size_t bytes = dnnl_memory_desc_get_size(md);
    void *handle; dnnl_memory_get_data_handle(m, &handle);
    memset(handle, 0, bytes);
    if (md_type(md) == dnnl_f32) for (size_t i = 0; i < bytes / 4; i++) ((float *)handle)[i] = (float)(i % 7) * 0.1f;
    return m;
}

// Microseconds per run of `p` with `n` arguments, over at least 0.4 s.
static double timed(dnnl_primitive_t p, int n, const dnnl_exec_arg_t *args) {
    dnnl_primitive_execute(p, stream, n, args);
    dnnl_stream_wait(stream);
    int reps = 0; double start = now(), elapsed;
    do { dnnl_primitive_execute(p, stream, n, args); dnnl_stream_wait(stream); reps++; elapsed = now() - start; } while (elapsed < 0.4);
    return elapsed / reps * 1e6;
}

static const char *impl(dnnl_primitive_desc_t pd) {
    const char *s = "?"; dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s); return s;
}

static double reorder_time(MDP from, MDP to) {
    dnnl_primitive_desc_t pd; dnnl_primitive_t p;
    if (dnnl_reorder_primitive_desc_create(&pd, from, engine, to, engine, NULL) != dnnl_success) return -1;
    dnnl_primitive_create(&p, pd);
    dnnl_memory_t a = memory(from), b = memory(to);
    dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, a}, {DNNL_ARG_TO, b}};
    double t = timed(p, 2, args);
    dnnl_primitive_destroy(p); dnnl_primitive_desc_destroy(pd); dnnl_memory_destroy(a); dnnl_memory_destroy(b);
    return t;
}

// The four products of SpaceToDepthConvKernel's pass (forward, weight gradient, input gradient).
static double products(int pass, long rows, long filters, long depth) {
    float *a = calloc(rows * depth + 4096, 4), *b = calloc(rows * filters + 4096, 4), *c = calloc(rows * depth + 4096, 4);
    int reps = 0; double start = now(), elapsed;
    do {
        for (int q = 0; q < 4; q++) {
            if (pass == 0) dnnl_sgemm('N', 'T', rows, filters, depth, 1, a, depth, b, depth, q ? 1 : 0, c, filters);
            else if (pass == 1) dnnl_sgemm('T', 'N', filters, depth, rows, 1, b, filters, a, depth, q ? 1 : 0, c, depth);
            else dnnl_sgemm('N', 'N', rows, depth, filters, 1, b, filters, a, depth, q ? 1 : 0, c, depth);
        }
        reps++; elapsed = now() - start;
    } while (elapsed < 0.4);
    free(a); free(b); free(c);
    return elapsed / reps * 1e6;
}


static int run(const char *name, long n, long ic, long hw, long oc, long k, long s, long fold, dnnl_data_type_t dt) {
    long ohw = (hw - k) / s + 1;
    // Folded: width hw / fold, channels ic * fold, kernel width k / fold at stride s / fold.
    long w = hw / fold, c = ic * fold, kw = k / fold, sw = s / fold;
    dnnl_dims_t src_dims = {n, c, hw, w}, w_dims = {oc, c, k, kw}, b_dims = {oc}, dst_dims = {n, oc, ohw, ohw};
    dnnl_dims_t strides = {s, sw}, pad = {0, 0};
    MDP src = md(4, src_dims, dt, dnnl_nhwc), src32 = md(4, src_dims, dnnl_f32, dnnl_nhwc);
    MDP w_any = md(4, w_dims, dt, dnnl_format_tag_any), w_user = md(4, w_dims, dnnl_f32, dnnl_ohwi);
    MDP bias = md(1, b_dims, dnnl_f32, dnnl_x);
    MDP dst = md(4, dst_dims, dt, dnnl_nhwc), dst32 = md(4, dst_dims, dnnl_f32, dnnl_nhwc);
    MDP dw_any32 = md(4, w_dims, dnnl_f32, dnnl_format_tag_any), dw_any = md(4, w_dims, dt, dnnl_format_tag_any);
    const char *type = dt == dnnl_f32 ? "fp32" : "bf16";
    double flops = 2.0 * n * ohw * ohw * oc * c * k * kw;

    // Forward, output in fp32 where allowed.
    dnnl_primitive_desc_t fwd_pd; dnnl_primitive_t fwd;
    if (conv_forward(&fwd_pd, src, w_any, bias, dst32, strides, pad) != dnnl_success)
        CHECK(conv_forward(&fwd_pd, src, w_any, bias, dst, strides, pad));
    CHECK(dnnl_primitive_create(&fwd, fwd_pd));
    MDP w_md = dnnl_primitive_desc_query_md(fwd_pd, dnnl_query_weights_md, 0);
    MDP out_md = dnnl_primitive_desc_query_md(fwd_pd, dnnl_query_dst_md, 0);
    dnnl_memory_t m_src = memory(src), m_w = memory(w_md), m_b = memory(bias), m_dst = memory(out_md);
    dnnl_exec_arg_t fa[] = {{DNNL_ARG_SRC, m_src}, {DNNL_ARG_WEIGHTS, m_w}, {DNNL_ARG_BIAS, m_b}, {DNNL_ARG_DST, m_dst}};
    double t_fwd = timed(fwd, 4, fa);
    printf("%-6s n=%-4ld %s forward          %9.1f us  %6.1f GFLOP/s  %s%s\n", name, n, type, t_fwd, flops / t_fwd / 1e3,
           impl(fwd_pd), md_type(out_md) == dnnl_f32 ? "" : " (bf16 output)");

    // Backward weights: src and diff_dst in dt, weight gradient in fp32 where allowed.
    dnnl_primitive_desc_t bw_pd; dnnl_primitive_t bw;
    if (conv_weights(&bw_pd, src, dw_any32, bias, dst, strides, pad, fwd_pd) != dnnl_success)
        CHECK(conv_weights(&bw_pd, src, dw_any, bias, dst, strides, pad, fwd_pd));
    CHECK(dnnl_primitive_create(&bw, bw_pd));
    MDP dw_md = dnnl_primitive_desc_query_md(bw_pd, dnnl_query_diff_weights_md, 0);
    dnnl_memory_t m_ddst = memory(dst), m_dw = memory(dw_md), m_db = memory(bias);
    dnnl_exec_arg_t wa[] = {{DNNL_ARG_SRC, m_src}, {DNNL_ARG_DIFF_DST, m_ddst}, {DNNL_ARG_DIFF_WEIGHTS, m_dw}, {DNNL_ARG_DIFF_BIAS, m_db}};
    double t_bw = timed(bw, 4, wa);
    printf("%-6s n=%-4ld %s weight gradient  %9.1f us  %6.1f GFLOP/s  %s%s\n", name, n, type, t_bw, flops / t_bw / 1e3,
           impl(bw_pd), md_type(dw_md) == dnnl_f32 ? "" : " (bf16 gradient)");

    // Backward data (the first convolution needs none), input gradient in fp32 where allowed.
    double t_bd = 0;
    if (ic != 4 && strstr(name, "s2d") == NULL) {  // the first layer's input gradient is never needed
        dnnl_primitive_desc_t bd_pd; dnnl_primitive_t bd;
        if (conv_data(&bd_pd, src32, w_any, dst, strides, pad, fwd_pd) != dnnl_success)
            CHECK(conv_data(&bd_pd, src, w_any, dst, strides, pad, fwd_pd));
        CHECK(dnnl_primitive_create(&bd, bd_pd));
        dnnl_memory_t m_dsrc = memory(dnnl_primitive_desc_query_md(bd_pd, dnnl_query_diff_src_md, 0));
        dnnl_memory_t m_w2 = memory(dnnl_primitive_desc_query_md(bd_pd, dnnl_query_weights_md, 0));
        dnnl_exec_arg_t da[] = {{DNNL_ARG_DIFF_DST, m_ddst}, {DNNL_ARG_WEIGHTS, m_w2}, {DNNL_ARG_DIFF_SRC, m_dsrc}};
        t_bd = timed(bd, 3, da);
        printf("%-6s n=%-4ld %s input gradient   %9.1f us  %6.1f GFLOP/s  %s\n", name, n, type, t_bd, flops / t_bd / 1e3, impl(bd_pd));
        dnnl_primitive_destroy(bd); dnnl_primitive_desc_destroy(bd_pd);
        dnnl_memory_destroy(m_dsrc); dnnl_memory_destroy(m_w2);
    }
    double t_wre = reorder_time(w_user, w_md);
    double t_sre = dt == dnnl_f32 ? 0 : reorder_time(src32, src);
    double t_dre = dt == dnnl_f32 ? 0 : reorder_time(dst32, dst);
    printf("%-6s n=%-4ld %s reorders: weights %.1f us, input to bf16 %.1f us, output gradient to bf16 %.1f us\n",
           name, n, type, t_wre, t_sre, t_dre);
    printf("%-6s n=%-4ld %s pass total (forward + weight gradient + input gradient + reorders) %.1f us\n",
           name, n, type, t_fwd + t_bw + t_bd + t_wre + t_sre + t_dre);
    if (dt == dnnl_f32 && k == 2 * s && fold == 1) {
        long blocks = (hw / s) * (hw / s), depth = s * s * ic;
        double p0 = products(0, n * blocks, oc, depth), p1 = products(1, n * blocks, oc, depth);
        double p2 = ic == 4 ? 0 : products(2, n * blocks, oc, depth);
        printf("%-6s n=%-4ld space-to-depth products (dnnl_sgemm): forward %.1f us, weight gradient %.1f us, input gradient %.1f us, total %.1f us\n",
               name, n, p0, p1, p2, p0 + p1 + p2);
    }
    dnnl_primitive_destroy(fwd); dnnl_primitive_desc_destroy(fwd_pd);
    dnnl_primitive_destroy(bw); dnnl_primitive_desc_destroy(bw_pd);
    dnnl_memory_destroy(m_src); dnnl_memory_destroy(m_w); dnnl_memory_destroy(m_b); dnnl_memory_destroy(m_dst);
    dnnl_memory_destroy(m_ddst); dnnl_memory_destroy(m_dw); dnnl_memory_destroy(m_db);
    return 0;
}

int main(int argc, char **argv) {
    char line[256]; FILE *f = fopen("/proc/cpuinfo", "r"); int shown = 0;
    while (shown < 2 && f && fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10) || !strncmp(line, "cpu family", 10)) { fputs(line, stdout); shown++; }
    if (f) fclose(f);
    const dnnl_version_t *v = dnnl_version();
    printf("oneDNN %d.%d.%d\n", v->major, v->minor, v->patch);
    if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success || dnnl_stream_create(&stream, engine, dnnl_stream_default_flags) != dnnl_success) return 1;
    // The paper network's two convolutions, the Nature network's three, then the first ones after space-to-depth.
    struct { const char *name; long ic, hw, oc, k, s, fold; } layers[] = {
        {"conv1", 4, 84, 16, 8, 4, 1}, {"conv2", 16, 20, 32, 4, 2, 1},
        {"N-conv1", 4, 84, 32, 8, 4, 1}, {"N-conv2", 32, 20, 64, 4, 2, 1}, {"N-conv3", 64, 9, 64, 3, 1, 1},
        {"conv1-s2d", 64, 21, 16, 2, 1, 1}, {"N-conv1-s2d", 64, 21, 32, 2, 1, 1},
        {"conv1-fold", 4, 84, 16, 8, 4, 4}, {"conv2-fold", 16, 20, 32, 4, 2, 2},
        {"N-conv1-fold", 4, 84, 32, 8, 4, 4}, {"N-conv2-fold", 32, 20, 64, 4, 2, 2}};
    // Rows per pass: 8 (acting) and 128 (a PPO minibatch), or those given after the layer's name.
    long batches[16] = {8, 128};
    int batch_count = 2;
    if (argc > 2) for (batch_count = 0; batch_count < argc - 2 && batch_count < 16; batch_count++) batches[batch_count] = atol(argv[batch_count + 2]);
    for (unsigned l = 0; l < sizeof layers / sizeof *layers; l++)
        for (int b = 0; b < batch_count && (argc < 2 || !strcmp(argv[1], layers[l].name)); b++)
            for (int t = 0; t < 2; t++)
                if (run(layers[l].name, batches[b], layers[l].ic, layers[l].hw, layers[l].oc, layers[l].k, layers[l].s,
                        layers[l].fold, t ? dnnl_bf16 : dnnl_f32))
                    return 1;
    return 0;
}
