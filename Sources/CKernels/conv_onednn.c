// A convolution layer's passes through oneDNN's convolution primitives: NHWC fp32 rows in and out,
// weights [filters, kernel, kernel, channels] as the network keeps them, in fp32 or, on a thread
// whose precision is bf16 (a3c_set_thread_precision), with bf16 inputs (fp32 accumulation, fp32
// outputs and gradients). One object per network kernel, used by one thread; primitives are built
// per batch size and precision on first use and kept.

#include "a3c_kernels.h"

#include <dnnl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    long n;
    int bf16;
    dnnl_primitive_t forward, weights_reorder, backward_weights, weight_gradient_reorder;
    dnnl_primitive_t backward_data, data_weights_reorder;
    /// Memories whose handles are set at each call (user-side fp32 ones and the primitives' own).
    dnnl_memory_t source, user_weights, weights, bias, destination;
    dnnl_memory_t diff_destination, diff_weights, user_diff_weights, diff_bias;
    dnnl_memory_t data_weights, diff_source;
    /// The primitive-side weights and weight gradient, in the layouts oneDNN chose.
    void *weights_buffer, *diff_weights_buffer, *data_weights_buffer;
    /// Kept as the hint for the input gradient's primitive, built later.
    dnnl_primitive_desc_t forward_pd;
    int built_data;
    /// The pass (`a3c_conv.pass`) whose weights `weights` and `data_weights` hold: each group of
    /// rows of one pass shares them, reordered once.
    long packed, data_packed;
} Plan;

enum { PLANS = 8 };

/// Rows per primitive call unless A3C_CONV_GROUP says otherwise (0: the whole batch in one call).
#define A3C_CONV_GROUP_ROWS 32
/// Whether rows are folded (`fold`) unless A3C_CONV_FOLD says otherwise.
#define A3C_CONV_FOLDS 1

struct a3c_conv {
    long height, width, channels, filters, kernel, stride, out_height, out_width, max_batch;
    /// Pixels of a row read as one: an NHWC row of width w and c channels is, in the same memory, a
    /// row of w / fold pixels of c x fold channels, and a kernel k wide at stride s is then k / fold
    /// wide at stride s / fold, its ohwi weights unchanged (1: as it is).
    long fold;
    /// The precision of the forward passes since the last backward pass began (what it must use).
    int forward_bf16;
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    Plan plans[PLANS];
    int plan_count, next_plan;
    /// bf16 copies: the input rows of the forward passes (kept for the backward pass) and one
    /// batch of output gradients.
    uint16_t *input16, *gradient16;
    /// Rows per primitive call: a larger batch runs in groups of this many, whose activations stay
    /// in cache; the weight gradient sums the groups' (0: one call for the whole batch).
    long group;
    /// One group's weight and bias gradient, before they are added to the first group's.
    float *partial;
    /// Counts the forward and backward passes, from 1.
    long pass;
    char implementation[160];
};

static long input_width(const a3c_conv *c) { return c->height * c->width * c->channels; }
static long output_width(const a3c_conv *c) { return c->out_height * c->out_width * c->filters; }
static long weight_count(const a3c_conv *c) { return c->filters * c->kernel * c->kernel * c->channels; }

static void release(Plan *p) {
    dnnl_primitive_t primitives[] = {p->forward, p->weights_reorder, p->backward_weights, p->weight_gradient_reorder,
                                     p->backward_data, p->data_weights_reorder};
    for (unsigned i = 0; i < sizeof primitives / sizeof *primitives; i++)
        if (primitives[i]) dnnl_primitive_destroy(primitives[i]);
    dnnl_memory_t memories[] = {p->source, p->user_weights, p->weights, p->bias, p->destination, p->diff_destination,
                                p->diff_weights, p->user_diff_weights, p->diff_bias, p->data_weights, p->diff_source};
    for (unsigned i = 0; i < sizeof memories / sizeof *memories; i++)
        if (memories[i]) dnnl_memory_destroy(memories[i]);
    if (p->forward_pd) dnnl_primitive_desc_destroy(p->forward_pd);
    free(p->weights_buffer);
    free(p->diff_weights_buffer);
    free(p->data_weights_buffer);
    memset(p, 0, sizeof *p);
}

static int memory(dnnl_memory_t *m, const dnnl_memory_desc_t *md, dnnl_engine_t engine, void **owned) {
    void *handle = DNNL_MEMORY_NONE;
    if (owned) {
        *owned = aligned_alloc(64, (dnnl_memory_desc_get_size(md) + 63) / 64 * 64);
        if (!*owned) return -1;
        handle = *owned;
    }
    return dnnl_memory_create(m, md, engine, handle) == dnnl_success ? 0 : -1;
}

static int reorder(dnnl_primitive_t *r, const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to, dnnl_engine_t engine) {
    dnnl_primitive_desc_t pd;
    if (dnnl_reorder_primitive_desc_create(&pd, from, engine, to, engine, NULL) != dnnl_success) return -1;
    int failed = dnnl_primitive_create(r, pd) != dnnl_success;
    dnnl_primitive_desc_destroy(pd);
    return failed ? -1 : 0;
}

/// The memory descriptors of one plan's passes: the input, oneDNN's weights and the output gradient
/// in the plan's precision; everything on the network's side (weights, bias, outputs, gradients) fp32.
typedef struct {
    dnnl_memory_desc_t source, diff_source, user_weights, any_weights, any_diff_weights, bias, destination,
        diff_destination;
    dnnl_dims_t strides, padding;
} Descriptors;

static int describe(const a3c_conv *c, long n, int bf16, Descriptors *m) {
    dnnl_data_type_t type = bf16 ? dnnl_bf16 : dnnl_f32;
    long f = c->fold;
    dnnl_dims_t source_dims = {n, c->channels * f, c->height, c->width / f};
    dnnl_dims_t weight_dims = {c->filters, c->channels * f, c->kernel, c->kernel / f}, bias_dims = {c->filters};
    dnnl_dims_t destination_dims = {n, c->filters, c->out_height, c->out_width};
    m->strides[0] = c->stride;
    m->strides[1] = c->stride / f;
    m->padding[0] = m->padding[1] = 0;
    return dnnl_memory_desc_init_by_tag(&m->source, 4, source_dims, type, dnnl_nhwc) != dnnl_success
        || dnnl_memory_desc_init_by_tag(&m->diff_source, 4, source_dims, dnnl_f32, dnnl_nhwc) != dnnl_success
        || dnnl_memory_desc_init_by_tag(&m->user_weights, 4, weight_dims, dnnl_f32, dnnl_ohwi) != dnnl_success
        || dnnl_memory_desc_init_by_tag(&m->any_weights, 4, weight_dims, type, dnnl_format_tag_any) != dnnl_success
        || dnnl_memory_desc_init_by_tag(&m->any_diff_weights, 4, weight_dims, dnnl_f32, dnnl_format_tag_any)
            != dnnl_success
        || dnnl_memory_desc_init_by_tag(&m->bias, 1, bias_dims, dnnl_f32, dnnl_x) != dnnl_success
        || dnnl_memory_desc_init_by_tag(&m->destination, 4, destination_dims, dnnl_f32, dnnl_nhwc) != dnnl_success
        || dnnl_memory_desc_init_by_tag(&m->diff_destination, 4, destination_dims, type, dnnl_nhwc) != dnnl_success
        ? -1 : 0;
}

/// Forward and weight-gradient primitives for batches of `n` rows (the input gradient's: `build_data`).
static int build(a3c_conv *c, Plan *p, long n, int bf16) {
    p->n = n;
    p->bf16 = bf16;
    Descriptors m;
    if (describe(c, n, bf16, &m)) return -1;
    dnnl_convolution_desc_t d;
    dnnl_primitive_desc_t forward_pd = NULL, weights_pd = NULL;
    int failed = dnnl_convolution_forward_desc_init(&d, dnnl_forward_training, dnnl_convolution_direct, &m.source,
                                                    &m.any_weights, &m.bias, &m.destination, m.strides, m.padding,
                                                    m.padding) != dnnl_success
        || dnnl_primitive_desc_create(&forward_pd, &d, NULL, c->engine, NULL) != dnnl_success;
    if (failed) {
        if (forward_pd) dnnl_primitive_desc_destroy(forward_pd);
        return -1;
    }
    const char *name = NULL;
    if (dnnl_primitive_desc_query(forward_pd, dnnl_query_impl_info_str, 0, &name) == dnnl_success && name)
        strncpy(c->implementation, name, sizeof c->implementation - 1);
    const dnnl_memory_desc_t *weights = dnnl_primitive_desc_query_md(forward_pd, dnnl_query_weights_md, 0);
    failed = dnnl_primitive_create(&p->forward, forward_pd) != dnnl_success
        || reorder(&p->weights_reorder, &m.user_weights, weights, c->engine)
        || memory(&p->source, &m.source, c->engine, NULL)
        || memory(&p->user_weights, &m.user_weights, c->engine, NULL)
        || memory(&p->weights, weights, c->engine, &p->weights_buffer) || memory(&p->bias, &m.bias, c->engine, NULL)
        || memory(&p->destination, &m.destination, c->engine, NULL);
    if (!failed) {
        failed = dnnl_convolution_backward_weights_desc_init(&d, dnnl_convolution_direct, &m.source,
                                                             &m.any_diff_weights, &m.bias, &m.diff_destination,
                                                             m.strides, m.padding, m.padding) != dnnl_success
            || dnnl_primitive_desc_create(&weights_pd, &d, NULL, c->engine, forward_pd) != dnnl_success;
    }
    if (!failed) {
        const dnnl_memory_desc_t *diff_weights = dnnl_primitive_desc_query_md(weights_pd, dnnl_query_diff_weights_md, 0);
        failed = dnnl_primitive_create(&p->backward_weights, weights_pd) != dnnl_success
            || reorder(&p->weight_gradient_reorder, diff_weights, &m.user_weights, c->engine)
            || memory(&p->diff_destination, &m.diff_destination, c->engine, NULL)
            || memory(&p->diff_weights, diff_weights, c->engine, &p->diff_weights_buffer)
            || memory(&p->user_diff_weights, &m.user_weights, c->engine, NULL)
            || memory(&p->diff_bias, &m.bias, c->engine, NULL);
    }
    p->forward_pd = forward_pd;
    if (weights_pd) dnnl_primitive_desc_destroy(weights_pd);
    return failed ? -1 : 0;
}

/// The input gradient's primitive, built on the first backward pass that asks for it: the first
/// layer never does.
static int build_data(a3c_conv *c, Plan *p) {
    if (p->built_data) return 0;
    Descriptors m;
    dnnl_convolution_desc_t d;
    dnnl_primitive_desc_t data_pd = NULL;
    int failed = describe(c, p->n, p->bf16, &m)
        || dnnl_convolution_backward_data_desc_init(
               &d, dnnl_convolution_direct, &m.diff_source, &m.any_weights, &m.diff_destination, m.strides,
               m.padding, m.padding) != dnnl_success
        || dnnl_primitive_desc_create(&data_pd, &d, NULL, c->engine, p->forward_pd) != dnnl_success;
    if (!failed) {
        const dnnl_memory_desc_t *data_weights = dnnl_primitive_desc_query_md(data_pd, dnnl_query_weights_md, 0);
        failed = dnnl_primitive_create(&p->backward_data, data_pd) != dnnl_success
            || reorder(&p->data_weights_reorder, &m.user_weights, data_weights, c->engine)
            || memory(&p->data_weights, data_weights, c->engine, &p->data_weights_buffer)
            || memory(&p->diff_source, &m.diff_source, c->engine, NULL);
    }
    if (data_pd) dnnl_primitive_desc_destroy(data_pd);
    p->built_data = !failed;
    return failed ? -1 : 0;
}

/// The bf16 copies of a batch's inputs and output gradients, allocated on first use.
static int bf16_buffers(a3c_conv *c) {
    if (!c->input16) c->input16 = malloc(sizeof(uint16_t) * (size_t)(c->max_batch * input_width(c)));
    if (!c->gradient16) c->gradient16 = malloc(sizeof(uint16_t) * (size_t)(c->max_batch * output_width(c)));
    return c->input16 && c->gradient16 ? 0 : -1;
}

static Plan *plan(a3c_conv *c, long n, int bf16) {
    for (int i = 0; i < c->plan_count; i++)
        if (c->plans[i].n == n && c->plans[i].bf16 == bf16) return &c->plans[i];
    if (bf16 && bf16_buffers(c)) return NULL;
    Plan *p;
    if (c->plan_count < PLANS) {
        p = &c->plans[c->plan_count++];
    } else {
        p = &c->plans[c->next_plan];
        c->next_plan = (c->next_plan + 1) % PLANS;
        release(p);
    }
    if (build(c, p, n, bf16) != 0) {
        release(p);
        return NULL;
    }
    return p;
}

a3c_conv *a3c_conv_create(long height, long width, long channels, long filters, long kernel, long stride,
                          long max_batch, long group_rows, int fold) {
    a3c_conv *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->height = height;
    c->width = width;
    c->channels = channels;
    c->filters = filters;
    c->kernel = kernel;
    c->stride = stride;
    c->out_height = (height - kernel) / stride + 1;
    c->out_width = (width - kernel) / stride + 1;
    c->max_batch = max_batch;
    if (fold < 0) fold = getenv("A3C_CONV_FOLD") ? atoi(getenv("A3C_CONV_FOLD")) != 0 : A3C_CONV_FOLDS;
    c->fold = fold && stride > 1 && width % stride == 0 && kernel % stride == 0 ? stride : 1;
    if (group_rows < 0) group_rows = getenv("A3C_CONV_GROUP") ? atol(getenv("A3C_CONV_GROUP")) : A3C_CONV_GROUP_ROWS;
    c->group = group_rows > 0 ? group_rows : 0;
    c->partial = malloc(sizeof(float) * (size_t)(weight_count(c) + filters));
    int failed = !c->partial || dnnl_engine_create(&c->engine, dnnl_cpu, 0) != dnnl_success
        || dnnl_stream_create(&c->stream, c->engine, dnnl_stream_default_flags) != dnnl_success;
    if (!failed) {
        // Build the primitives for one row in the thread's precision now, so that a layer oneDNN
        // cannot run fails here (the other precision's are built if it is ever used).
        a3c_omp_single_thread();
        failed = plan(c, 1, a3c_thread_precision() == 1) == NULL;
    }
    if (failed) {
        a3c_conv_destroy(c);
        return NULL;
    }
    return c;
}

void a3c_conv_destroy(a3c_conv *c) {
    if (!c) return;
    for (int i = 0; i < c->plan_count; i++) release(&c->plans[i]);
    if (c->stream) dnnl_stream_destroy(c->stream);
    if (c->engine) dnnl_engine_destroy(c->engine);
    free(c->input16);
    free(c->gradient16);
    free(c->partial);
    free(c);
}

const char *a3c_conv_implementation(const a3c_conv *c) { return c->implementation; }

static int run(a3c_conv *c, dnnl_primitive_t primitive, int count, const dnnl_exec_arg_t *args) {
    return dnnl_primitive_execute(primitive, c->stream, count, args) == dnnl_success ? 0 : -1;
}

/// Rows of the next primitive call, `done` of `count` rows done.
static long group_rows(const a3c_conv *c, long done, long count) {
    long left = count - done;
    return c->group > 0 && left > c->group ? c->group : left;
}

/// One call's forward pass on `n` rows of `source` (fp32 or bf16, as the plan).
static int forward_group(a3c_conv *c, long n, int bf16, void *source, const float *weight, const float *bias,
                         float *output) {
    Plan *p = plan(c, n, bf16);
    if (!p) return -1;
    dnnl_memory_set_data_handle(p->source, source);
    dnnl_memory_set_data_handle(p->user_weights, (void *)weight);
    dnnl_memory_set_data_handle(p->bias, (void *)bias);
    dnnl_memory_set_data_handle(p->destination, output);
    dnnl_exec_arg_t pack[] = {{DNNL_ARG_FROM, p->user_weights}, {DNNL_ARG_TO, p->weights}};
    dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, p->source}, {DNNL_ARG_WEIGHTS, p->weights}, {DNNL_ARG_BIAS, p->bias},
                              {DNNL_ARG_DST, p->destination}};
    if (p->packed != c->pass && run(c, p->weights_reorder, 2, pack)) return -1;
    p->packed = c->pass;
    return run(c, p->forward, 4, args);
}

int a3c_conv_forward(a3c_conv *c, long first, long count, const float *input, const float *weight, const float *bias,
                     float *output) {
    a3c_omp_single_thread();
    int bf16 = a3c_thread_precision() == 1;
    c->forward_bf16 = bf16;
    c->pass++;
    long in = input_width(c), out = output_width(c);
    // The bf16 rows stay where the backward pass finds them: at their rows in the batch.
    if (bf16) {
        if (bf16_buffers(c)) return -1;
        a3c_to_bf16(input, c->input16 + first * in, count * in);
    }
    for (long done = 0, n; done < count; done += n) {
        n = group_rows(c, done, count);
        void *source = bf16 ? (void *)(c->input16 + (first + done) * in) : (void *)(input + done * in);
        if (forward_group(c, n, bf16, source, weight, bias, output + done * out)) return -1;
    }
    return 0;
}

/// One call's gradients for `n` rows: the weight and bias gradient into `weight_gradient` and
/// `bias_gradient` (overwritten), the input gradient when asked.
static int backward_group(a3c_conv *c, long n, int bf16, void *source, void *gradient, const float *weight,
                          float *weight_gradient, float *bias_gradient, float *input_gradient) {
    Plan *p = plan(c, n, bf16);
    if (!p || (input_gradient && build_data(c, p))) return -1;
    dnnl_memory_set_data_handle(p->source, source);
    dnnl_memory_set_data_handle(p->diff_destination, gradient);
    dnnl_memory_set_data_handle(p->user_diff_weights, weight_gradient);
    dnnl_memory_set_data_handle(p->diff_bias, bias_gradient);
    dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, p->source}, {DNNL_ARG_DIFF_DST, p->diff_destination},
                              {DNNL_ARG_DIFF_WEIGHTS, p->diff_weights}, {DNNL_ARG_DIFF_BIAS, p->diff_bias}};
    dnnl_exec_arg_t unpack[] = {{DNNL_ARG_FROM, p->diff_weights}, {DNNL_ARG_TO, p->user_diff_weights}};
    if (run(c, p->backward_weights, 4, args) || run(c, p->weight_gradient_reorder, 2, unpack)) return -1;
    if (!input_gradient) return 0;
    dnnl_memory_set_data_handle(p->user_weights, (void *)weight);
    dnnl_memory_set_data_handle(p->diff_source, input_gradient);
    dnnl_exec_arg_t pack[] = {{DNNL_ARG_FROM, p->user_weights}, {DNNL_ARG_TO, p->data_weights}};
    dnnl_exec_arg_t data[] = {{DNNL_ARG_DIFF_DST, p->diff_destination}, {DNNL_ARG_WEIGHTS, p->data_weights},
                              {DNNL_ARG_DIFF_SRC, p->diff_source}};
    if (p->data_packed != c->pass && run(c, p->data_weights_reorder, 2, pack)) return -1;
    p->data_packed = c->pass;
    return run(c, p->backward_data, 3, data);
}

int a3c_conv_backward(a3c_conv *c, long count, const float *input, const float *output_gradient, const float *weight,
                      float *weight_gradient, float *bias_gradient, float *input_gradient) {
    a3c_omp_single_thread();
    int bf16 = c->forward_bf16;
    c->pass++;
    long in = input_width(c), out = output_width(c), weights = weight_count(c);
    if (bf16) {
        if (bf16_buffers(c)) return -1;
        a3c_to_bf16(output_gradient, c->gradient16, count * out);
    }
    for (long done = 0, n; done < count; done += n) {
        n = group_rows(c, done, count);
        void *source = bf16 ? (void *)(c->input16 + done * in) : (void *)(input + done * in);
        void *gradient = bf16 ? (void *)(c->gradient16 + done * out) : (void *)(output_gradient + done * out);
        // The first group writes the gradients; each later one adds its own.
        float *w = done ? c->partial : weight_gradient, *b = done ? c->partial + weights : bias_gradient;
        if (backward_group(c, n, bf16, source, gradient, weight, w, b, input_gradient ? input_gradient + done * in : NULL))
            return -1;
        if (done) {
            for (long i = 0; i < weights; i++) weight_gradient[i] += c->partial[i];
            for (long i = 0; i < c->filters; i++) bias_gradient[i] += c->partial[weights + i];
        }
    }
    return 0;
}
