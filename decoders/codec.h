/* codec.h: RTP payload types and codec names: RFC 3551 static table and rtpmap names. */
#ifndef SIPSCOPE_DECODERS_CODEC_H
#define SIPSCOPE_DECODERS_CODEC_H

#include <stdbool.h>
#include <stdint.h>

#include "sv.h"

struct codec_info {
    const char *name;      /* canonical name, as Wireshark prints it where it has one ("g711A") */
    const char *rtpmap;    /* encoding name as SDP writes it ("PCMA") */
    uint32_t clock_rate;
    bool audio;
};

/* Static payload type (0..34 of RFC 3551 §6); NULL for dynamic or unassigned ones. */
const struct codec_info *codec_by_pt(uint8_t pt);

/* Known codec by SDP encoding name (case-insensitive, e.g. "pcmu", "G729", "opus"); NULL if unknown. */
const struct codec_info *codec_by_name(struct sv rtpmap_name);

/* True for payloads that are not voice: telephone-event, CN, red, ulpfec... */
bool codec_is_aux(struct sv rtpmap_name);

#endif
