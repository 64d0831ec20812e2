#ifndef A3C_CBLAS_SHIM_H
#define A3C_CBLAS_SHIM_H

#include <x86_64-linux-gnu/openblas-pthread/cblas.h>
#include <oneapi/dnnl/dnnl.h>

#endif
