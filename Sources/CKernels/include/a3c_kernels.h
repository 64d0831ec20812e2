#ifndef A3C_KERNELS_H
#define A3C_KERNELS_H

// Element-wise kernels on the parameter-sized buffers that every update sweeps (the shared
// optimizers and the gradient norm) and on activations (ELU, whose libm expm1f was a seventh of
// the universe network's training time). Each has AVX-512, AVX2 and portable versions; the fastest one
// this CPU runs is picked at the first call (Swift alone cannot use these instruction sets without
// compiler flags that SwiftPM forbids for packages others depend on).

/// RMSProp: avg = alpha avg + (1 - alpha) g^2; p -= lr g / sqrt(avg + eps) (the A3C paper's and
/// TensorFlow's), or p -= lr g / (sqrt(avg) + eps) with eps_outside (PyTorch's and Keras's).
void a3c_rmsprop_step(float *params, const float *grad, float *avg, long count, float lr, float alpha, float eps,
                      int eps_outside);

/// Adam with both bias corrections folded into step_size and eps:
/// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= step_size m / (sqrt(v) + eps).
void a3c_adam_step(float *params, const float *grad, float *m, float *v, long count, float step_size,
                   float beta1, float beta2, float eps);

/// Sum of squares (for the global gradient norm), accumulated in double precision.
double a3c_sum_of_squares(const float *x, long count);

/// x *= scale.
void a3c_scale(float *x, long count, float scale);

/// ReLU: y = 0 for x <= 0, x otherwise (NaN passes through, -0 becomes +0), without branches.
void a3c_relu_forward(const float *x, float *y, long count);

/// ReLU's input gradient from its output: g where y > 0, 0 elsewhere.
void a3c_relu_backward(const float *y, const float *grad, float *input_grad, long count);

/// ELU: y = x for x > 0, expm1(x) otherwise (NaN passes through). The vector versions are within
/// 2 ulp of expm1 (tested against double precision); the portable one calls expm1f.
void a3c_elu_forward(const float *x, float *y, long count);

/// ELU's input gradient from its input, output and output gradient: g for x > 0, g (y + 1) otherwise.
void a3c_elu_backward(const float *x, const float *y, const float *grad, float *input_grad, long count);

/// Which instruction set the kernels use: "avx512", "avx2" or "portable".
const char *a3c_kernels_isa(void);

/// oneDNN runs its products and convolutions on OpenMP threads: each worker thread asks for a team
/// of one (once per thread), or two workers on two cores would run four threads.
void a3c_omp_single_thread(void);

/// The calling thread's precision for matrix products: 0 fp32 (the default), 1 bf16 inputs.
void a3c_set_thread_precision(int precision);
int a3c_thread_precision(void);

/// Whether the CPU has bf16 arithmetic (AVX512-BF16 or AMX-BF16).
int a3c_cpu_has_bf16(void);

/// C = alpha * op(A) * op(B) + beta * C, row-major as cblas_sgemm, with A and B rounded to bf16
/// (to nearest even) and products accumulated in fp32, through oneDNN's matmul on the calling
/// thread. Returns 0, or -1 when oneDNN cannot run it (C is then untouched).
int a3c_gemm_bf16(int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
                  const float *b, long ldb, float beta, float *c, long ldc);

/// oneDNN's name for the implementation of the last bf16 product built, e.g. "brg:avx512_core_bf16".
const char *a3c_bf16_implementation(void);

/// fp32 to bf16 (nearest even) and back, element-wise.
void a3c_to_bf16(const float *source, unsigned short *target, long count);
void a3c_from_bf16(const unsigned short *source, float *target, long count);

/// A convolution (no padding) through oneDNN's convolution primitives: rows of [height, width,
/// channels] fp32 in, [out_height, out_width, filters] fp32 out, weights [filters, kernel, kernel,
/// channels] then bias [filters], as the network lays them out. A forward pass on a thread whose
/// precision is bf16 rounds its inputs to bf16 (products accumulate in fp32), and so does the
/// backward pass after it, for the output gradients too. Used by one thread.
typedef struct a3c_conv a3c_conv;

/// NULL when oneDNN cannot run this convolution on this CPU (in fp32, or in bf16 where the CPU has it).
/// `group_rows`: rows per primitive call, a larger batch running in groups (0: all at once; below 0:
/// A3C_CONV_GROUP or the default). `fold`: whether runs of `stride` pixels of a row are read as one
/// pixel of `stride` x `channels` channels where stride divides width and kernel (below 0:
/// A3C_CONV_FOLD or the default). Either way the results are the same convolution's.
a3c_conv *a3c_conv_create(long height, long width, long channels, long filters, long kernel, long stride,
                          long max_batch, long group_rows, int fold);
void a3c_conv_destroy(a3c_conv *conv);

/// Rows first ..< first + count: `input` and `output` point at row `first`. Returns 0, or -1.
int a3c_conv_forward(a3c_conv *conv, long first, long count, const float *input, const float *weight,
                     const float *bias, float *output);

/// Rows 0 ..< count, after their forward passes: overwrites the weight and bias gradients, and the
/// input gradient unless it is NULL. Returns 0, or -1.
int a3c_conv_backward(a3c_conv *conv, long count, const float *input, const float *output_gradient,
                      const float *weight, float *weight_gradient, float *bias_gradient, float *input_gradient);

/// oneDNN's name for the forward implementation it chose, e.g. "jit:avx512_core".
const char *a3c_conv_implementation(const a3c_conv *conv);

#endif

/// Makes the calling thread treat subnormal floats as zero and flush subnormal results to zero.
/// Adam's first moment of a parameter whose gradient stays 0 decays into the subnormal range, and
/// arithmetic on subnormals is many times slower (measured: Adam took a quarter of training time).
void a3c_flush_subnormals_to_zero(void);
