/* gzfile.h: the only zlib user: a gzip stream (RFC 1952) presented as a stdio FILE * for libpcap.
 */
#ifndef SIPSCOPE_SENSOR_GZFILE_H
#define SIPSCOPE_SENSOR_GZFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * libpcap reads saved captures from a FILE * (pcap_fopen_offline). A gzfile
 * wraps a file descriptor and exposes its bytes as a FILE * made by
 * fopencookie(). At the first read it peeks at the first two bytes: gzip
 * magic 1f 8b (RFC 1952 §2.3.1) selects zlib's inflate (several members
 * allowed, bytes after the last member ignored as gzip(1) does); anything
 * else passes through unchanged, peeked bytes first. So the same wrapper also
 * serves a pipe such as stdin, whose first bytes can only be examined by
 * reading them: the reader sees one stream "peeked bytes + the rest".
 *
 * Damage is not hidden, and nothing decoded before it is lost: every byte
 * inflate produced is handed on first, then the FILE * reports a read error
 * (ferror) and gzfile_error() says what zlib found: data that ends inside a
 * member (a truncated .gz), corrupt deflate data, or a bad CRC. libpcap would
 * otherwise take an early end at a record boundary for a clean end of file.
 * A read never blocks for more input once it has bytes to return, so a live
 * "tcpdump -w - | gzip | sipscope -r -" pipe is not held back.
 */
struct gzfile;

/* Buffer sizes: compressed input read from the descriptor, and the stdio buffer of the FILE *. */
#define GZFILE_ZBUF_BYTES (128u << 10)
#define GZFILE_IOBUF_BYTES (64u << 10)

/*
 * Wrap fd (taken over in every case: on failure it is closed, on success the
 * stream closes it). NULL on failure with one sentence in err.
 */
struct gzfile *gzfile_create(int fd, char *err, size_t errlen);

/*
 * The FILE * to read from. Whoever fcloses it (pcap_close does) also ends
 * the inflate state and closes the descriptor; the struct gzfile itself stays
 * valid until gzfile_destroy, so the error and byte count can still be asked.
 */
FILE *gzfile_stream(struct gzfile *g);

/* True once the stream was found to be gzip (false for plain data, or before the first read). */
bool gzfile_is_gzip(const struct gzfile *g);

/* Bytes handed to the reader so far (decompressed). */
uint64_t gzfile_bytes(const struct gzfile *g);

/* What went wrong in the gzip stream ("gzip data ends early (truncated .gz file)", ...) or NULL. */
const char *gzfile_error(const struct gzfile *g);

/* How often a read waiting on an idle pipe, FIFO or terminal asks whether to stop. */
#define GZFILE_POLL_MS 100

/*
 * Let a read that waits for input end early. While the descriptor (not a
 * regular file) has nothing to read, as a FIFO whose writer is idle, the
 * read polls it every GZFILE_POLL_MS and calls stopped(ctx) from the reading
 * thread; once that returns true the FILE * reports a read error (errno
 * EINTR) and every later read fails too. Bytes read before are handed on
 * first. It is not damage: gzfile_error() stays NULL and gzfile_stopped()
 * becomes true. Without a callback a read waits as long as the input does.
 */
typedef bool (*gzfile_stop_fn)(void *ctx);
void gzfile_set_stop(struct gzfile *g, gzfile_stop_fn stopped, void *ctx);

/* True once a read ended because stopped() said so. */
bool gzfile_stopped(const struct gzfile *g);

/* Close the FILE * if nobody did, and free. NULL is a no-op. */
void gzfile_destroy(struct gzfile *g);

#endif
