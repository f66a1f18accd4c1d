# The decoder stage "ldm": conditioning, T-UNet, DDIM with classifier-free
# guidance and v-prediction (ARCHITECTURE.md §5.7-§7), and the documented
# noise generator it shares with the tools (sc/noise.h, libsc/noise.c).
scinclude_HEADERS += include/sc/stage_decoder.h include/sc/noise.h
libsc_libsc_la_SOURCES += libsc/noise.c

plugin_LTLIBRARIES += plugins/decoder_ldm.la
plugins_decoder_ldm_la_SOURCES = plugins/decoder/ldm.c plugins/decoder/unet.c \
	plugins/decoder/ldm_math.c plugins/decoder/ldm.h plugins/decoder/dpm.c \
	plugins/decoder/dpm.h
# No FMA contraction: the sampler and the sinusoid tables reproduce the
# reference's float32 rounding step by step.
plugins_decoder_ldm_la_CFLAGS = $(AM_CFLAGS) -O2 -ffp-contract=off
plugins_decoder_ldm_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_decoder_ldm_la_LIBADD = $(LIBM)

# Parity against the golden conditioning, UNet, DDIM chain and long-clip
# latents on every CPU backend (ref required; blas once built).
check_PROGRAMS += tests/check_decoder
TESTS += tests/check_decoder
tests_check_decoder_SOURCES = tests/check_decoder.c
tests_check_decoder_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_decoder_LDADD = $(CHECK_LDADD_ALL)

# One 10.24 s window at 50 / 25 / 10 steps: UNet and step times, GFLOP/s.
noinst_PROGRAMS += bench/bench_decoder
bench_bench_decoder_SOURCES = bench/bench_decoder.c bench/benchutil.c bench/benchutil.h
bench_bench_decoder_LDADD = libsc/libsc.la $(LIBM)
SC_BENCHES += bench/decoder.sh
EXTRA_DIST += bench/decoder.sh

# The DPM-Solver samplers: schedule, plans and a host-run solver against an
# independent derivation, and the four golden-dpm parity cases.
check_PROGRAMS += tests/check_dpm
TESTS += tests/check_dpm
tests_check_dpm_SOURCES = tests/check_dpm.c plugins/decoder/dpm.c plugins/decoder/ldm_math.c
tests_check_dpm_CFLAGS = $(CHECK_CFLAGS_ALL) -ffp-contract=off
tests_check_dpm_LDADD = $(CHECK_LDADD_ALL)
# ... and the tools' sampler options (sc-detok with the 2M golden).
TESTS += tests/sc-detok-dpm.sh
EXTRA_DIST += tests/sc-detok-dpm.sh
