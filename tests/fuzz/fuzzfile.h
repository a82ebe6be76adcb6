/* fuzzfile.h: what the harnesses that read an input as a capture file share (fuzz_pcap,
 * fuzz_capture): the file it is written to, and the one-line check of an error. */
#ifndef SIPSCOPE_TESTS_FUZZ_FUZZFILE_H
#define SIPSCOPE_TESTS_FUZZ_FUZZFILE_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* An error the user would see on stderr: one line, not empty. */
static inline void fuzzfile_one_line(const char *err)
{
    size_t n = strlen(err);
    if (n == 0 || memchr(err, '\n', n) || memchr(err, '\r', n))
        abort();
}

/*
 * A POSIX shared-memory file, its name unlinked at once (the descriptor keeps
 * it; nothing is left behind), opened again by path (/proc/self/fd/N) so that
 * capture_open takes the real path of a regular file. Returns the descriptor.
 */
static inline int fuzzfile_create(const char *what, char *path, size_t cap)
{
    char name[64];
    snprintf(name, sizeof name, "/sipscope-fuzz-%s-%ld", what, (long)getpid());
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        abort();
    shm_unlink(name);
    snprintf(path, cap, "/proc/self/fd/%d", fd);
    return fd;
}

/* The file's content becomes data[0..size). */
static inline void fuzzfile_write(int fd, const uint8_t *data, size_t size)
{
    if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
        abort();
}

#endif
