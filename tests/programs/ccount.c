/* A C program that saves itself on USR1 (and goes on) or USR2 (and exits), as counter.py
   does: its count in $QCKPT_DIR/count; --restart reads it back. Counts to argv[1], exits 3. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t request;
static void on_signal(int signum) { request = signum; }

static void save(long count) {
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/count", getenv("QCKPT_DIR"));
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *out = fopen(tmp, "w");
    if (!out) return;
    fprintf(out, "%ld\n", count);
    fclose(out);
    rename(tmp, path);
}

int main(int argc, char **argv) {
    long target = argc > 1 ? atol(argv[1]) : 100, count = 0;
    if (argc > 2 && strcmp(argv[2], "--restart") == 0) {
        char path[4096];
        snprintf(path, sizeof path, "%s/count", getenv("QCKPT_DIR"));
        FILE *in = fopen(path, "r");
        if (!in || fscanf(in, "%ld", &count) != 1) return 2;
        fclose(in);
        printf("restarted at %ld\n", count);
    }
    signal(SIGUSR1, on_signal);
    signal(SIGUSR2, on_signal);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("started at %ld\n", count);
    while (count < target) {
        count++;
        usleep(100000);
        if (request) {
            save(count);
            if (request == SIGUSR2) {
                printf("migrating at %ld\n", count);
                return 0;
            }
            request = 0;
        }
    }
    printf("done at %ld\n", count);
    return 3;
}
