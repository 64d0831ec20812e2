// See a3c_mpi.h. Open MPI's MPI_Comm, MPI_Datatype, MPI_Op and MPI_Message are pointers; its
// predefined handles are the addresses of exported objects (MPI_COMM_WORLD is &ompi_mpi_comm_world).
#define _GNU_SOURCE
#include "a3c_mpi.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef void *handle;
// Open MPI's public MPI_Status layout.
typedef struct {
    int source, tag, error, cancelled;
    size_t ucount;
} status_t;

static handle comm_world, type_byte, type_float, type_double, op_sum, errors_return;
static int (*init_thread)(int *, char ***, int, int *);
static int (*finalize_)(void);
static int (*abort_)(handle, int);
static int (*comm_rank)(handle, int *);
static int (*comm_size)(handle, int *);
static int (*set_errhandler)(handle, handle);
static int (*error_string)(int, char *, int *);
static int (*send_)(const void *, int, handle, int, int, handle);
static int (*isend_)(const void *, int, handle, int, int, handle, handle *);
static int (*test_)(handle *, int *, status_t *);
static int (*request_free)(handle *);
static int (*mprobe)(int, int, handle, handle *, status_t *);
static int (*improbe)(int, int, handle, int *, handle *, status_t *);
static int (*mrecv)(void *, int, handle, handle *, status_t *);
static int (*get_count)(const status_t *, handle, int *);
static int (*reduce_)(const void *, void *, int, handle, handle, int, handle);
static int (*bcast_)(void *, int, handle, int, handle);
static int (*barrier_)(handle);
static double (*wtime)(void);

#define RESOLVE(target, name)                                                                   \
    do {                                                                                        \
        *(void **)(&target) = dlsym(library, name);                                             \
        if (!target) {                                                                          \
            snprintf(message, (size_t)capacity, "%s has no %s: not Open MPI 3 to 5", path, name); \
            return -1;                                                                          \
        }                                                                                       \
    } while (0)

int a3c_mpi_load(char *message, int capacity) {
    if (comm_world) return 0;
    // Global symbols: Open MPI's own plugins resolve against libmpi.
    const char *candidates[] = {"libmpi.so.40", "libmpi.so"};
    void *library = NULL;
    const char *path = NULL;
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates && !library; i++) {
        path = candidates[i];
        library = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    }
    if (!library) {
        snprintf(message, (size_t)capacity, "Open MPI's library (libmpi.so.40) is not installed: %s", dlerror());
        return -1;
    }
    RESOLVE(comm_world, "ompi_mpi_comm_world");
    RESOLVE(type_byte, "ompi_mpi_byte");
    RESOLVE(type_float, "ompi_mpi_float");
    RESOLVE(type_double, "ompi_mpi_double");
    RESOLVE(op_sum, "ompi_mpi_op_sum");
    RESOLVE(errors_return, "ompi_mpi_errors_return");
    RESOLVE(init_thread, "MPI_Init_thread");
    RESOLVE(finalize_, "MPI_Finalize");
    RESOLVE(abort_, "MPI_Abort");
    RESOLVE(comm_rank, "MPI_Comm_rank");
    RESOLVE(comm_size, "MPI_Comm_size");
    RESOLVE(set_errhandler, "MPI_Comm_set_errhandler");
    RESOLVE(error_string, "MPI_Error_string");
    RESOLVE(send_, "MPI_Send");
    RESOLVE(isend_, "MPI_Isend");
    RESOLVE(test_, "MPI_Test");
    RESOLVE(request_free, "MPI_Request_free");
    RESOLVE(mprobe, "MPI_Mprobe");
    RESOLVE(improbe, "MPI_Improbe");
    RESOLVE(mrecv, "MPI_Mrecv");
    RESOLVE(get_count, "MPI_Get_count");
    RESOLVE(reduce_, "MPI_Reduce");
    RESOLVE(bcast_, "MPI_Bcast");
    RESOLVE(barrier_, "MPI_Barrier");
    RESOLVE(wtime, "MPI_Wtime");
    return 0;
}

int a3c_mpi_init(int *rank, int *size, int *thread_level) {
    int code = init_thread(NULL, NULL, 3 /* MPI_THREAD_MULTIPLE */, thread_level);
    if (code) return code;
    if ((code = set_errhandler(comm_world, errors_return))) return code;
    if ((code = comm_rank(comm_world, rank))) return code;
    return comm_size(comm_world, size);
}

int a3c_mpi_finalize(void) { return finalize_(); }

void a3c_mpi_abort(int code) { abort_(comm_world, code); }

void a3c_mpi_error_string(int code, char *message, int capacity) {
    char text[512];
    int length = 0;
    if (!error_string || error_string(code, text, &length)) snprintf(text, sizeof text, "MPI error %d", code);
    snprintf(message, (size_t)capacity, "%s", text);
}

int a3c_mpi_send(const void *bytes, long count, int destination, int tag) {
    return send_(bytes, (int)count, type_byte, destination, tag, comm_world);
}

int a3c_mpi_start_send(const void *bytes, long count, int destination, int tag, void **request) {
    return isend_(bytes, (int)count, type_byte, destination, tag, comm_world, request);
}

int a3c_mpi_test(void **request, int *done) {
    status_t status;
    *done = 0;
    return test_(request, done, &status);
}

int a3c_mpi_forget(void **request) { return request_free(request); }

int a3c_mpi_probe(int source, int tag, void **message, int *found_source, int *found_tag, long *count) {
    status_t status;
    int code = mprobe(source, tag, comm_world, message, &status);
    if (code) return code;
    int size = 0;
    if ((code = get_count(&status, type_byte, &size))) return code;
    *found_source = status.source;
    *found_tag = status.tag;
    *count = size;
    return 0;
}

int a3c_mpi_try_probe(int source, int tag, void **message, int *found, int *found_source, int *found_tag, long *count) {
    status_t status;
    *found = 0;
    int code = improbe(source, tag, comm_world, found, message, &status);
    if (code || !*found) return code;
    int size = 0;
    if ((code = get_count(&status, type_byte, &size))) return code;
    *found_source = status.source;
    *found_tag = status.tag;
    *count = size;
    return 0;
}

int a3c_mpi_receive(void **message, void *bytes, long count) {
    status_t status;
    return mrecv(bytes, (int)count, type_byte, message, &status);
}

int a3c_mpi_reduce_sum_floats(const float *send, float *receive, long count, int root) {
    return reduce_(send, receive, (int)count, type_float, op_sum, root, comm_world);
}

int a3c_mpi_reduce_sum_doubles(const double *send, double *receive, long count, int root) {
    return reduce_(send, receive, (int)count, type_double, op_sum, root, comm_world);
}

int a3c_mpi_broadcast(void *bytes, long count, int root) { return bcast_(bytes, (int)count, type_byte, root, comm_world); }

int a3c_mpi_barrier(void) { return barrier_(comm_world); }

double a3c_mpi_time(void) { return wtime(); }
