# plugins/vocoder/local.mk - the vocoder stage "hifigan" (VAE decoder +
# HiFi-GAN).
plugin_LTLIBRARIES += plugins/vocoder_hifigan.la
plugins_vocoder_hifigan_la_SOURCES = plugins/vocoder/vocoder.c plugins/vocoder/bufs.c \
	plugins/vocoder/vae.c plugins/vocoder/hifigan.c plugins/vocoder/voc.h
plugins_vocoder_hifigan_la_CFLAGS = $(AM_CFLAGS) -O2
plugins_vocoder_hifigan_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_vocoder_hifigan_la_LIBADD = $(LIBM)
