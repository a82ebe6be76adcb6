/* cputime.c: run a command and write its CPU time, wall time and peak RSS, to the microsecond:
 * the figures `make bench` compares (tests/bench/run.sh). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Usage: cputime OUT COMMAND [ARG...]
 *
 * Runs COMMAND with this program's standard input, output and error, waits
 * for it and writes one line to the file OUT:
 *
 *     user_s sys_s wall_s maxrss_kib
 *
 * with six decimals. This is what /usr/bin/time -f "%U %S %e %M" reports,
 * but /usr/bin/time prints hundredths of a second, and the bare read of the
 * SIP-heavy bench capture takes about 0.05 s: a hundredth is a fifth of the
 * figure every ratio divides by. The kernel keeps a task's run time in
 * nanoseconds and hands it out through wait4's rusage (user and system are
 * split by sampling, but their sum is the exact run time), so the sum this
 * writes is good to the microsecond.
 *
 * Exit status: COMMAND's own; 128 + the signal when a signal ended it; 127
 * when it could not be started; 125 on a usage or system error.
 */
int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: cputime OUT COMMAND [ARG...]\n");
        return 125;
    }
    FILE *out = fopen(argv[1], "we"); /* close-on-exec: COMMAND does not inherit it */
    if (!out) {
        fprintf(stderr, "cputime: %s: %s\n", argv[1], strerror(errno));
        return 125;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "cputime: fork: %s\n", strerror(errno));
        return 125;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "cputime: %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "cputime: wait4: %s\n", strerror(errno));
            return 125;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(out, "%.6f %.6f %.6f %ld\n", (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
            (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, wall, ru.ru_maxrss);
    if (fclose(out) != 0) {
        fprintf(stderr, "cputime: %s: %s\n", argv[1], strerror(errno));
        return 125;
    }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
