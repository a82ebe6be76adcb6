/* status.h: the one status enum every layer returns (house style rule 18). */
#ifndef SIPSCOPE_DECODERS_STATUS_H
#define SIPSCOPE_DECODERS_STATUS_H

/*
 * STATUS_NEED_MORE and STATUS_MALFORMED are distinct on purpose: a stream
 * parser that lacks bytes must say so without pretending the input is bad.
 */
enum status {
    STATUS_OK = 0,
    STATUS_TRUNCATED,   /* a header or field runs past the captured bytes */
    STATUS_MALFORMED,   /* the bytes contradict the protocol */
    STATUS_NEED_MORE,   /* a stream message is incomplete: call again with more */
    STATUS_NOT_SIP,     /* the payload is not a SIP message at all */
    STATUS_UNSUPPORTED, /* valid, but a kind we do not decode (link type, tunnel...) */
    STATUS_FULL,        /* a bounded table or buffer is full */
    STATUS_IO,          /* a read or write failed */
};

/* Short lower-case name of a status, for messages; never NULL. */
const char *status_str(enum status s);

#endif
