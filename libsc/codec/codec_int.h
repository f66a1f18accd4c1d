/* libsc/codec/codec_int.h - what the codec's files share (not installed;
 * nothing here is exported from libsc.so). */
#ifndef SC_CODEC_INT_H
#define SC_CODEC_INT_H

#include "sc/codec.h"
#include "sc/session.h"
#include "sc/stage_frontend.h"
#include "tk.h"

struct sc_codec {
    sc_config cfg;
    sc_log log;
    sc_session *s;
    /* The frontend keeps one input's mean between begin() and window():
     * the input it was begun for, so interleaved encoders re-begin it. */
    const void *fe_owner;
};

/* The frontend stage of the codec (instantiated on first use). */
SC_HIDDEN int sci_codec_frontend(sc_codec *c, sc_stage **st, sc_err *err);

#endif
