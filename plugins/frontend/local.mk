# The frontend area: audio I/O, the torchaudio resampler and the mel stream
# (in libsc, because tools and tests share them), the Kaldi fbank plugin,
# the sc-mel tool, its pages, tests and benchmark.
scinclude_HEADERS += include/sc/stage_frontend.h include/sc/audio.h \
	include/sc/resample.h include/sc/melstream.h
libsc_libsc_la_SOURCES += libsc/audio.c libsc/resample.c libsc/melstream.c libsc/frame.c \
	libsc/frame.h

# The plugin links FFTW itself and never libsc (host table only).  No FMA
# contraction: the reference rounds every float32 step separately.
plugin_LTLIBRARIES += plugins/frontend_kaldi.la
plugins_frontend_kaldi_la_SOURCES = plugins/frontend/kaldi.c
plugins_frontend_kaldi_la_CFLAGS = $(AM_CFLAGS) -O3 -ffp-contract=off -fno-math-errno $(FFTW3F_CFLAGS)
# -z nodelete: FFTW keeps planner state in libfftw3f for the whole process;
# unmapping it at dlclose would turn that into a leak.
plugins_frontend_kaldi_la_LDFLAGS = $(PLUGIN_LDFLAGS) -Wl,-z,nodelete
plugins_frontend_kaldi_la_LIBADD = $(FFTW3F_LIBS) $(LIBM)

bin_PROGRAMS += utils/sc-mel
utils_sc_mel_SOURCES = utils/sc-mel.c
utils_sc_mel_LDADD = utils/libsctool.la libsc/libsc.la

dist_man_MANS += man/sc-mel.1 man/sc-stream.5

check_PROGRAMS += tests/check_frontend tests/npycmp
TESTS += tests/check_frontend tests/sc-mel.sh
EXTRA_DIST += tests/sc-mel.sh bench/sc-mel.sh
tests_check_frontend_SOURCES = tests/check_frontend.c
tests_check_frontend_CFLAGS = $(CHECK_CFLAGS_ALL) $(FFTW3F_CFLAGS)
tests_check_frontend_LDADD = $(CHECK_LDADD_ALL)
# compares .npy files for the shell tests (tests/npycmp -a ABS [-r RMS] A B)
tests_npycmp_SOURCES = tests/npycmp.c
tests_npycmp_LDADD = libsc/libsc.la $(LIBM)

SC_BENCHES += bench/sc-mel.sh
