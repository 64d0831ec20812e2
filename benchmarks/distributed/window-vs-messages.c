// Two ways for actor ranks to push a gradient to rank 0 and pull the parameters back, timed on the
// same machine and buffer: (1) point-to-point, a send to a thread on rank 0 that applies the
// gradient and answers with the parameters (what a3c does); (2) one-sided, MPI_Accumulate(SUM) of
// the gradient into a window on rank 0 under an exclusive lock, then MPI_Get of the parameters
// under a shared lock, rank 0 not taking part. Rank 0 either waits in MPI (idle) or computes
// between polls (busy, as when its own workers train). Prints round trips per second.
//   mpicc -O2 -o /tmp/window-vs-messages benchmarks/distributed/window-vs-messages.c
//   mpirun --oversubscribe -np 3 /tmp/window-vs-messages 647203 10
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { tagGradient = 1, tagParameters = 2, tagDone = 3 };

static double now(void) { return MPI_Wtime(); }

// Stands for rank 0's own workers: arithmetic that does not call MPI for `seconds`.
static void compute(double seconds, float *scratch, int count) {
    double end = now() + seconds;
    while (now() < end)
        for (int i = 0; i < count; i++) scratch[i] = scratch[i] * 0.999f + 0.001f;
}

// Point-to-point: rank 0 answers each gradient with the parameters after applying it.
static double messages(int rank, int size, int count, double seconds, int busy) {
    float *parameters = calloc(count, sizeof(float)), *gradient = calloc(count, sizeof(float));
    float scratch[4096] = {0};
    long rounds = 0;
    MPI_Barrier(MPI_COMM_WORLD);
    double start = now();
    if (rank == 0) {
        int active = size - 1;
        while (active > 0) {
            int ready = 0;
            MPI_Status status;
            MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &ready, &status);
            if (!ready) {
                if (busy) compute(0.0005, scratch, 4096);
                continue;
            }
            if (status.MPI_TAG == tagDone) {
                MPI_Recv(NULL, 0, MPI_FLOAT, status.MPI_SOURCE, tagDone, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                active--;
                continue;
            }
            MPI_Recv(gradient, count, MPI_FLOAT, status.MPI_SOURCE, tagGradient, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            for (int i = 0; i < count; i++) parameters[i] -= 0.001f * gradient[i];
            MPI_Send(parameters, count, MPI_FLOAT, status.MPI_SOURCE, tagParameters, MPI_COMM_WORLD);
        }
    } else {
        while (now() - start < seconds) {
            MPI_Send(gradient, count, MPI_FLOAT, 0, tagGradient, MPI_COMM_WORLD);
            MPI_Recv(parameters, count, MPI_FLOAT, 0, tagParameters, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            rounds++;
        }
        MPI_Send(NULL, 0, MPI_FLOAT, 0, tagDone, MPI_COMM_WORLD);
    }
    double elapsed = now() - start;
    long total = 0;
    MPI_Reduce(&rounds, &total, 1, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
    free(parameters);
    free(gradient);
    return total / elapsed;
}

// One-sided: the actors accumulate into rank 0's window and read it back; rank 0 does not answer.
static double windows(int rank, int size, int count, double seconds, int busy) {
    float *base;
    MPI_Win window;
    MPI_Aint bytes = rank == 0 ? (MPI_Aint)count * sizeof(float) : 0;
    // Between machines over TCP, Open MPI 4.1 has no one-sided component and refuses the window.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int created = MPI_Win_allocate(bytes, sizeof(float), MPI_INFO_NULL, MPI_COMM_WORLD, &base, &window);
    int everywhere = 0, ok = created == MPI_SUCCESS;
    MPI_Allreduce(&ok, &everywhere, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    if (!everywhere) return -1;
    if (rank == 0) memset(base, 0, bytes);
    float *gradient = calloc(count, sizeof(float)), *parameters = calloc(count, sizeof(float));
    float scratch[4096] = {0};
    long rounds = 0;
    MPI_Barrier(MPI_COMM_WORLD);
    double start = now();
    if (rank == 0) {
        // Waits for the actors' end; busy, it calls MPI only between slices of work, as a worker would.
        int finished = 0;
        MPI_Request request;
        MPI_Ibarrier(MPI_COMM_WORLD, &request);
        while (!finished) {
            if (busy) compute(0.0005, scratch, 4096);
            MPI_Test(&request, &finished, MPI_STATUS_IGNORE);
        }
    } else {
        while (now() - start < seconds) {
            MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, window);
            MPI_Accumulate(gradient, count, MPI_FLOAT, 0, 0, count, MPI_FLOAT, MPI_SUM, window);
            MPI_Win_unlock(0, window);
            MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, window);
            MPI_Get(parameters, count, MPI_FLOAT, 0, 0, count, MPI_FLOAT, window);
            MPI_Win_unlock(0, window);
            rounds++;
        }
        MPI_Request request;
        MPI_Ibarrier(MPI_COMM_WORLD, &request);
        MPI_Wait(&request, MPI_STATUS_IGNORE);
    }
    double elapsed = now() - start;
    long total = 0;
    MPI_Reduce(&rounds, &total, 1, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
    MPI_Win_free(&window);
    free(gradient);
    free(parameters);
    return total / elapsed;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int count = argc > 1 ? atoi(argv[1]) : 647203;
    double seconds = argc > 2 ? atof(argv[2]) : 10;
    const char *modes[] = {"idle", "busy"};
    for (int busy = 0; busy < 2; busy++) {
        double sent = messages(rank, size, count, seconds, busy);
        double accumulated = windows(rank, size, count, seconds, busy);
        if (rank == 0) {
            double megabytes = 2.0 * count * sizeof(float) / 1e6;
            printf("%d actor rank(s), %d floats, rank 0 %s: messages %.0f round trips/s (%.0f MB/s), ",
                   size - 1, count, modes[busy], sent, sent * megabytes);
            if (accumulated < 0) printf("accumulate+get: MPI_Win_allocate refused\n");
            else printf("accumulate+get %.0f round trips/s (%.0f MB/s)\n", accumulated, accumulated * megabytes);
            fflush(stdout);
        }
    }
    MPI_Finalize();
    return 0;
}
