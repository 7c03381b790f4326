/* An MPI job that checkpoints itself in every rank (the signal engine's protocol), for
 * Debian's MPICH: each step the ranks sum their step numbers (MPI_Allreduce), so they go
 * in lockstep, and rank 0 prints "step N ranks R sum S hosts H".
 *
 * USR1 in any rank: at the next step every rank writes its step to $QCKPT_DIR/rank-R.txt
 * and goes on; USR2 in any rank: every rank writes it and all end (exit 0). Given
 * --restart, each rank reads its file back and all go on from the lowest step read
 * ("restarted at N"). After COUNT steps every rank exits 3 (mpiexec exits so).
 *
 * Usage: mpiexec -n N mpicount COUNT [STEP_SECONDS] [--restart] */
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t want_save, want_stop;

static void on_usr1(int sig) { (void)sig; want_save = 1; }
static void on_usr2(int sig) { (void)sig; want_stop = 1; }

static void path_of(char *buf, size_t size, int rank) {
    const char *dir = getenv("QCKPT_DIR");
    snprintf(buf, size, "%s/rank-%d.txt", dir ? dir : ".", rank);
}

static void save(int rank, long step) {
    char path[4096], tmp[4200];
    path_of(path, sizeof path, rank);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) { perror(tmp); return; }
    fprintf(f, "%ld\n", step);
    fclose(f);
    rename(tmp, path);
}

static long load(int rank) {
    char path[4096];
    long step = 0;
    path_of(path, sizeof path, rank);
    FILE *f = fopen(path, "r");
    if (!f || fscanf(f, "%ld", &step) != 1) { fprintf(stderr, "rank %d: no state in %s\n", rank, path); exit(2); }
    fclose(f);
    return step;
}

int main(int argc, char **argv) {
    int rank, size, restart = 0;
    long count = 0, step = 0;
    double delay = 0.2;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--restart") == 0) restart = 1;
        else if (!count) count = atol(argv[i]);
        else delay = atof(argv[i]);
    }
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, on_usr2);
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    char host[256], hosts[256 * 64];
    gethostname(host, sizeof host);
    MPI_Gather(host, 256, MPI_CHAR, hosts, 256, MPI_CHAR, 0, MPI_COMM_WORLD);
    if (restart) {
        long mine = load(rank);
        MPI_Allreduce(&mine, &step, 1, MPI_LONG, MPI_MIN, MPI_COMM_WORLD);
        if (rank == 0) { printf("restarted at %ld\n", step); fflush(stdout); }
    }
    while (step < count) {
        long sum = 0, flags[2] = {want_save, want_stop}, any[2];
        step++;
        MPI_Allreduce(&step, &sum, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(flags, any, 2, MPI_LONG, MPI_MAX, MPI_COMM_WORLD);
        if (rank == 0) {
            printf("step %ld ranks %d sum %ld hosts", step, size, sum);
            for (int r = 0; r < size && r < 64; r++) printf(" %s", hosts + 256 * r);
            printf("\n");
            fflush(stdout);
        }
        if (any[0] || any[1]) {
            want_save = 0;
            save(rank, step);
            if (any[1]) break;
        }
        struct timespec pause = {(time_t)delay, (long)((delay - (long)delay) * 1e9)};
        nanosleep(&pause, NULL);
    }
    int stopped = step < count;
    MPI_Finalize();
    return stopped ? 0 : 3;
}
