/* mpi_init.c: workload 6's MPI program (contribs/bench/run): how long
 * MPI_Init through MPI_Finalize takes, the wire-up a launcher is judged by.
 * Every rank measures its own span; rank 0 prints the longest, which is
 * what the job waits for. */
#include <mpi.h>
#include <stdio.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double t0 = now(), span, longest = 0;
    int rank, size, one = 1, sum = 0;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    span = now() - t0;
    MPI_Reduce(&span, &longest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    MPI_Finalize();
    if (rank == 0)
        printf("ranks %d sum %d init_to_finalize_ms %.3f\n", size, sum,
               (longest + (now() - t0 - span)) * 1000);
    return sum == size ? 0 : 1;
}
