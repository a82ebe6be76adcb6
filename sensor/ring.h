/* ring.h: bounded lock-free single-producer/single-consumer frame ring over one preallocated byte
 * arena. */
#ifndef SIPSCOPE_SENSOR_RING_H
#define SIPSCOPE_SENSOR_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

#define RING_DEFAULT_BYTES (64u << 20)

/*
 * The capture thread copies each frame once into the arena (header + bytes,
 * 8-byte aligned, never split across the end) and publishes it with a release
 * store; the worker reads it in FIFO order with an acquire load and releases
 * it when done. C11 <stdatomic.h>; no locks on the fast path.
 */
struct ring;

struct ring *ring_create(size_t bytes);
void ring_destroy(struct ring *r);

/*
 * Producer: copy the frame in. Returns false when it does not fit now (the
 * caller counts a drop, or waits with ring_wait_space for offline files).
 * A frame larger than a quarter of the arena is refused (returns false) always.
 */
bool ring_push(struct ring *r, const struct frame *f);
/* Producer: sleep briefly until space may be free; returns false if the ring was closed. */
bool ring_wait_space(struct ring *r);
/* Producer: no more frames will come. */
void ring_close(struct ring *r);

/*
 * Consumer: peek the oldest frame. Returns true with *f filled (data inside the
 * arena), false when empty; *closed is set when empty and the producer closed.
 * Blocks up to timeout_ms waiting for a frame (0 = do not wait).
 */
bool ring_peek(struct ring *r, struct frame *f, int timeout_ms, bool *closed);
/* Consumer: release the frame returned by the last ring_peek; its views end here. */
void ring_release(struct ring *r);

#endif
