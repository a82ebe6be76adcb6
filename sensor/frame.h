/* frame.h: one captured frame as the capture thread hands it to the worker. */
#ifndef SIPSCOPE_SENSOR_FRAME_H
#define SIPSCOPE_SENSOR_FRAME_H

#include <stdint.h>

/*
 * Time is nanoseconds since the Unix epoch, from the capture header (pcap
 * files are opened with nanosecond precision, so pcapng/nsec files keep
 * theirs; microsecond files give multiples of 1000). Packet time is the only
 * clock (house style rule 17).
 */
struct frame {
    uint64_t ts_ns;
    uint32_t caplen;     /* bytes in data */
    uint32_t wirelen;    /* bytes on the wire (> caplen when the snaplen cut it) */
    int linktype;        /* LINKTYPE_* / DLT_* value of the capture */
    const uint8_t *data; /* valid until the frame is released */
};

#endif
