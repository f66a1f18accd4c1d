# The vocoder stage (VAE decoder + HiFi-GAN), the overlap-add in libsc, and
# its public headers.
plugin_LTLIBRARIES += plugins/vocoder_hifigan.la
plugins_vocoder_hifigan_la_SOURCES = plugins/vocoder/vocoder.c plugins/vocoder/bufs.c \
	plugins/vocoder/vae.c plugins/vocoder/hifigan.c plugins/vocoder/voc.h
plugins_vocoder_hifigan_la_CFLAGS = $(AM_CFLAGS) -O2
plugins_vocoder_hifigan_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_vocoder_hifigan_la_LIBADD = $(LIBM)

libsc_libsc_la_SOURCES += libsc/ola.c
scinclude_HEADERS += include/sc/stage_vocoder.h include/sc/ola.h

check_PROGRAMS += tests/check_vocoder
TESTS += tests/check_vocoder
tests_check_vocoder_SOURCES = tests/check_vocoder.c
tests_check_vocoder_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_vocoder_LDADD = $(CHECK_LDADD_ALL)

# Tools: tokens -> audio (streaming) and many files with one model load.
bin_PROGRAMS += utils/sc-detok utils/sc-decode
utils_sc_detok_SOURCES = utils/sc-detok.c utils/detok.c utils/detok.h
utils_sc_detok_LDADD = utils/libsctool.la libsc/libsc.la $(LIBM)
utils_sc_decode_SOURCES = utils/sc-decode.c utils/detok.c utils/detok.h
utils_sc_decode_LDADD = utils/libsctool.la libsc/libsc.la $(LIBM)
dist_man_MANS += man/sc-detok.1 man/sc-decode.1

# End to end through the real tools (parity with the golden decode, pipes,
# bad input); needs sc-mel/sc-tokenize and npycmp from other areas.
TESTS += tests/sc-detok.sh
EXTRA_DIST += tests/sc-detok.sh

# VAE / HiFi-GAN seconds per window and GFLOP/s; end-to-end sc-detok time.
noinst_PROGRAMS += bench/bench_vocoder
bench_bench_vocoder_SOURCES = bench/bench_vocoder.c bench/benchutil.c bench/benchutil.h
bench_bench_vocoder_LDADD = libsc/libsc.la $(LIBM)
SC_BENCHES += bench/vocoder.sh
EXTRA_DIST += bench/vocoder.sh
