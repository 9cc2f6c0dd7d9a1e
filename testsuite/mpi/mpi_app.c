/* mpi_app: the MPI program of the tests (compiled with mpicc by them).
 *
 *   mpi_app              rank/size/node, MPI_Allreduce, a ring of sends
 *   mpi_app abort N      rank 1 (or 0 alone) calls MPI_Abort(N) after the allreduce
 *   mpi_app kill SIG     rank 1 (or 0 alone) raises SIG; the others wait in a barrier
 *   mpi_app sleep S      like the default, then sleeps S seconds before MPI_Finalize
 *
 * Every line starts with "rank R:"; the tests look for "allreduce ok",
 * "ring ok" and "local L of N" (the ranks sharing this rank's node). */
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void ring(int rank, int size)
{
    int token = 0, next = (rank + 1) % size, prev = (rank + size - 1) % size;
    if (size == 1) {
        printf("rank %d: ring ok (alone)\n", rank);
        return;
    }
    if (rank == 0) {
        MPI_Send(&token, 1, MPI_INT, next, 7, MPI_COMM_WORLD);
        MPI_Recv(&token, 1, MPI_INT, prev, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        int want = size * (size - 1) / 2;
        printf("rank %d: ring %s (token %d, want %d)\n", rank, token == want ? "ok" : "BAD",
               token, want);
    } else {
        MPI_Recv(&token, 1, MPI_INT, prev, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        token += rank;
        MPI_Send(&token, 1, MPI_INT, next, 7, MPI_COMM_WORLD);
    }
}

int main(int argc, char **argv)
{
    int rank, size, len, local_rank, local_size;
    char name[MPI_MAX_PROCESSOR_NAME];
    const char *mode = argc > 1 ? argv[1] : "";
    int arg = argc > 2 ? atoi(argv[2]) : 0;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Get_processor_name(name, &len);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local);
    MPI_Comm_rank(local, &local_rank);
    MPI_Comm_size(local, &local_size);
    MPI_Comm_free(&local);
    const char *node = getenv("PMIX_HOSTNAME");
    printf("rank %d: of %d on %s node %s local %d of %d\n", rank, size, name,
           node ? node : "?", local_rank, local_size);
    fflush(stdout);

    int victim = size > 1 ? 1 : 0;
    if (strcmp(mode, "kill") == 0) {
        if (rank == victim)
            raise(arg ? arg : SIGKILL);
        MPI_Barrier(MPI_COMM_WORLD);    /* never passes: the step is killed */
    }

    int one = rank + 1, sum = 0;
    MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    printf("rank %d: allreduce %s (%d, want %d)\n", rank, sum == size * (size + 1) / 2 ? "ok"
           : "BAD", sum, size * (size + 1) / 2);
    fflush(stdout);

    if (strcmp(mode, "abort") == 0) {
        if (rank == victim) {
            printf("rank %d: calling MPI_Abort(%d)\n", rank, arg);
            fflush(stdout);
            MPI_Abort(MPI_COMM_WORLD, arg);
        }
        MPI_Barrier(MPI_COMM_WORLD);
    }

    ring(rank, size);
    fflush(stdout);
    if (strcmp(mode, "sleep") == 0)
        sleep((unsigned)arg);
    MPI_Finalize();
    return 0;
}
