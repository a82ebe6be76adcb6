/* codec.h: RTP payload types and codec names: RFC 3551 static table, rtpmap names, G.113 E-model
 * values. */
#ifndef SIPSCOPE_DECODERS_CODEC_H
#define SIPSCOPE_DECODERS_CODEC_H

#include <stdbool.h>
#include <stdint.h>

#include "sv.h"

struct codec_info {
    const char *name;   /* canonical name, as Wireshark prints it where it has one ("g711A") */
    const char *rtpmap; /* encoding name as SDP writes it ("PCMA") */
    uint32_t clock_rate;
    bool audio;
    /*
     * ITU-T G.107 E-model parameters from the planning values of ITU-T G.113
     * Appendix I (mos.c explains the model). has_emodel is true only for a
     * codec with a published (Ie, Bpl) pair; every other codec, wideband and
     * video ones included, has false and no MOS is computed for it.
     */
    bool has_emodel;
    double ie;              /* equipment impairment factor Ie */
    double bpl;             /* packet-loss robustness factor Bpl */
    const char *emodel_row; /* the G.113 row used ("G.711 with PLC"), NULL without has_emodel */
};

/* Static payload type (0..34 of RFC 3551 §6); NULL for dynamic or unassigned ones. */
const struct codec_info *codec_by_pt(uint8_t pt);

/* Known codec by SDP encoding name (case-insensitive, e.g. "pcmu", "G729", "opus"); NULL if
 * unknown. */
const struct codec_info *codec_by_name(struct sv rtpmap_name);

/* True for payloads that are not voice: telephone-event, CN, red, ulpfec... */
bool codec_is_aux(struct sv rtpmap_name);

/*
 * Known codec by its canonical name (as codec_info.name, "g711A", "g729"),
 * case-insensitive; NULL if unknown. For a stream whose codec was recorded
 * under the canonical name rather than the SDP encoding name.
 */
const struct codec_info *codec_by_label(struct sv name);

#endif
