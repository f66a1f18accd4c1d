# plugins/decoder/local.mk - the decoder stage "ldm": conditioning,
# T-UNet, DDIM with classifier-free guidance and v-prediction
# (ARCHITECTURE.md §5.7-§7).
plugin_LTLIBRARIES += plugins/decoder_ldm.la
plugins_decoder_ldm_la_SOURCES = plugins/decoder/ldm.c plugins/decoder/unet.c \
	plugins/decoder/ldm_math.c plugins/decoder/ldm.h plugins/decoder/dpm.c \
	plugins/decoder/dpm.h
# No FMA contraction: the sampler and the sinusoid tables reproduce the
# reference's float32 rounding step by step.
plugins_decoder_ldm_la_CFLAGS = $(AM_CFLAGS) -O2 -ffp-contract=off
plugins_decoder_ldm_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_decoder_ldm_la_LIBADD = $(LIBM)
