#ifndef A3C_CBLAS_SHIM_H
#define A3C_CBLAS_SHIM_H

#include <dlfcn.h>
#include <x86_64-linux-gnu/openblas-pthread/cblas.h>
#include <oneapi/dnnl/dnnl.h>

// oneDNN runs its sgemm on OpenMP threads. Each of our worker threads must ask for a team of one,
// or two workers on two cores would run four threads. libgomp arrives with libdnnl, so its
// omp_set_num_threads is looked up at run time instead of linking a library that has no dev symlink.
static _Thread_local int a3c_omp_thread_configured = 0;

static inline void a3c_omp_single_thread(void) {
    if (a3c_omp_thread_configured) return;
    a3c_omp_thread_configured = 1;
    void (*set_threads)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
    if (set_threads) set_threads(1);
}

#endif
