// Open MPI, loaded at run time: the a3c binary needs no MPI library unless a run is distributed.
// Handles are Open MPI's (pointers to its predefined objects, found by name), so this speaks to
// Open MPI's ABI (libmpi.so.40, Open MPI 3.x to 5.x) and no other MPI.
#ifndef A3C_MPI_H
#define A3C_MPI_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Loads libmpi and resolves what the calls below need. 0 on success; otherwise writes why into
/// `message` (`capacity` bytes, NUL-terminated).
int a3c_mpi_load(char *message, int capacity);

/// MPI_Init_thread asking for MPI_THREAD_MULTIPLE, errors returned instead of aborting. Writes this
/// process's rank, the number of ranks and the thread level granted (3 is MPI_THREAD_MULTIPLE).
int a3c_mpi_init(int *rank, int *size, int *thread_level);

/// MPI_Finalize.
int a3c_mpi_finalize(void);

/// MPI_Abort on MPI_COMM_WORLD: every rank of the job exits with `code`.
void a3c_mpi_abort(int code);

/// The MPI library's words for an error code.
void a3c_mpi_error_string(int code, char *message, int capacity);

/// Blocking send of `count` bytes to rank `destination` with `tag`.
int a3c_mpi_send(const void *bytes, long count, int destination, int tag);

/// Non-blocking send (MPI_Isend) of `count` bytes to `destination` with `tag`; `*request` is
/// then in flight until `a3c_mpi_test` says done. The bytes must stay as they are until then.
int a3c_mpi_start_send(const void *bytes, long count, int destination, int tag, void **request);

/// MPI_Test: `*done` is 1 once the send `*request` has completed (the request is then released).
int a3c_mpi_test(void **request, int *done);

/// MPI_Request_free: gives up a request still in flight (its send may complete later or never).
int a3c_mpi_forget(void **request);

/// Waits for a message from `source` (-1: any rank) with `tag` (-1: any tag) and claims it for
/// `a3c_mpi_receive` (a matched probe: no other thread can take it); writes its source, tag and size.
int a3c_mpi_probe(int source, int tag, void **message, int *found_source, int *found_tag, long *count);

/// As `a3c_mpi_probe`, without waiting: `*found` is 0 when no such message has arrived yet.
int a3c_mpi_try_probe(int source, int tag, void **message, int *found, int *found_source, int *found_tag, long *count);

/// Receives the message `a3c_mpi_probe` claimed into `bytes` (`count` bytes, its size).
int a3c_mpi_receive(void **message, void *bytes, long count);

/// MPI_Reduce with MPI_SUM of `count` floats to `root` (`receive` used on the root only).
int a3c_mpi_reduce_sum_floats(const float *send, float *receive, long count, int root);
/// MPI_Reduce with MPI_SUM of `count` doubles to `root`.
int a3c_mpi_reduce_sum_doubles(const double *send, double *receive, long count, int root);

/// MPI_Bcast of `count` bytes from `root`.
int a3c_mpi_broadcast(void *bytes, long count, int root);

/// MPI_Barrier on MPI_COMM_WORLD.
int a3c_mpi_barrier(void);

/// MPI_Wtime.
double a3c_mpi_time(void);

#ifdef __cplusplus
}
#endif

#endif
