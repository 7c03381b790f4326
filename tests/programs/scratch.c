/* A job that works in $TMPDIR as simulation codes do: it keeps $TMPDIR/scratch.dat open,
   appends a line per step and checks the whole file on every step (lines 1..count, nothing
   else), and reads $TMPDIR/params (written at its first start, closed) every step.
   Counts to argv[1] every 0.1 s and exits 3; a wrong file exits 4 with "BAD ...".
   Signal engine: USR1 saves count and scratch size in $QCKPT_DIR/count and goes on, USR2
   saves and exits; --restart reads them back and cuts scratch.dat to the saved size. Under
   DMTCP it needs nothing: the file is open, DMTCP restores it at its path. It prints
   "scratch at PATH" whenever the open file's real path changes. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t request;
static void on_signal(int signum) { request = signum; }
static char scratch[4096], params[4096], state[4096];

static void save(long count, int fd) {
    char tmp[4200];
    struct stat st;
    fstat(fd, &st);
    snprintf(tmp, sizeof tmp, "%s.tmp", state);
    FILE *out = fopen(tmp, "w");
    if (!out) return;
    fprintf(out, "%ld %lld\n", count, (long long)st.st_size);
    fclose(out);
    rename(tmp, state);
}

static int check(int fd, long count) {
    static char buf[1 << 20], want[64];
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size >= (off_t)sizeof buf) return 0;
    ssize_t got = pread(fd, buf, st.st_size, 0);
    if (got != st.st_size) return 0;
    long pos = 0;
    for (long i = 1; i <= count; i++) {
        int n = snprintf(want, sizeof want, "line %ld\n", i);
        if (pos + n > got || memcmp(buf + pos, want, n) != 0) return 0;
        pos += n;
    }
    return pos == got;
}

static int params_ok(void) {
    char buf[64] = {0};
    FILE *in = fopen(params, "r");
    if (!in) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, in);
    fclose(in);
    return n == 3 && strcmp(buf, "42\n") == 0;
}

int main(int argc, char **argv) {
    long target = argc > 1 ? atol(argv[1]) : 100, count = 0;
    long long size = 0;
    const char *tmpdir = getenv("TMPDIR"), *qdir = getenv("QCKPT_DIR");
    if (!tmpdir) return 2;
    snprintf(scratch, sizeof scratch, "%s/scratch.dat", tmpdir);
    snprintf(params, sizeof params, "%s/params", tmpdir);
    snprintf(state, sizeof state, "%s/count", qdir ? qdir : ".");
    int restart = argc > 2 && strcmp(argv[2], "--restart") == 0;
    if (restart) {
        FILE *in = fopen(state, "r");
        if (!in || fscanf(in, "%ld %lld", &count, &size) != 2) return 2;
        fclose(in);
        if (truncate(scratch, size) != 0) {
            printf("BAD no %s to restart with\n", scratch);
            return 4;
        }
        printf("restarted at %ld\n", count);
    } else {
        FILE *out = fopen(params, "w");
        if (!out) return 2;
        fputs("42\n", out);
        fclose(out);
    }
    int fd = open(scratch, O_RDWR | O_APPEND | O_CREAT, 0600);
    if (fd < 0) return 2;
    signal(SIGUSR1, on_signal);
    signal(SIGUSR2, on_signal);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("started at %ld in %s\n", count, tmpdir);
    char where[4096] = "", link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    while (count < target) {
        char now[4096] = {0};
        if (readlink(link, now, sizeof now - 1) > 0 && strcmp(now, where) != 0) {
            strcpy(where, now);  /* where the open file really is: DMTCP may have moved it */
            printf("scratch at %s\n", where);
        }
        if (!check(fd, count) || !params_ok()) {
            printf("BAD %s at %ld\n", check(fd, count) ? params : scratch, count);
            return 4;
        }
        count++;
        char line[64];
        int n = snprintf(line, sizeof line, "line %ld\n", count);
        if (write(fd, line, n) != n) return 2;
        printf("count %ld\n", count);
        usleep(100000);
        if (request) {
            save(count, fd);
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
