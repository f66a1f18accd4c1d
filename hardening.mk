# hardening.mk - fuzzing, fault injection, soak, datasets and listening
# aids (issue 8).  Included from Makefile.am; appends to its lists only.

# ---------------------------------------------------------------- fuzzing
# libFuzzer targets for every input parser (the weights area has ckpt and
# npy in libsc/weights.mk).  Build with
#   configure CC=clang --enable-fuzzing CFLAGS="-g -O1 -fsanitize=address,undefined" \
#             LDFLAGS="-fsanitize=address,undefined"
# and run each on a copy of its seeds (libFuzzer adds to the folder):
#   cp -r $(srcdir)/tests/fuzz/tokstream c && ./fuzz/fuzz_tokstream -dict=... c
# scripts/fuzz.sh runs them all in turn.  The same sources are linked with
# fuzz/replay.c into plain programs that replay the seeds and every saved
# finding (tests/fuzz/regress/TARGET/) in `make check` (tests/fuzz-replay.sh).
SC_FUZZ_SRC_COMMON = fuzz/fuzzfix.h
EXTRA_DIST += scripts/fuzz.sh fuzz/lsan.supp fuzz/mkseeds.py

if ENABLE_FUZZING
SC_FUZZ_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer -DSC_LIBFUZZER
noinst_PROGRAMS += fuzz/fuzz_ini fuzz/fuzz_melstream fuzz/fuzz_tokstream fuzz/fuzz_audio \
	fuzz/fuzz_detok_front
fuzz_fuzz_ini_SOURCES = fuzz/fuzz_ini.c $(SC_FUZZ_SRC_COMMON)
fuzz_fuzz_ini_CFLAGS = $(SC_FUZZ_CFLAGS)
fuzz_fuzz_ini_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_ini_LDADD = libsc/libsc.la
fuzz_fuzz_melstream_SOURCES = fuzz/fuzz_melstream.c $(SC_FUZZ_SRC_COMMON)
fuzz_fuzz_melstream_CFLAGS = $(SC_FUZZ_CFLAGS)
fuzz_fuzz_melstream_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_melstream_LDADD = libsc/libsc.la $(LIBM)
fuzz_fuzz_tokstream_SOURCES = fuzz/fuzz_tokstream.c $(SC_FUZZ_SRC_COMMON)
fuzz_fuzz_tokstream_CFLAGS = $(SC_FUZZ_CFLAGS)
fuzz_fuzz_tokstream_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_tokstream_LDADD = libsc/libsc.la
fuzz_fuzz_audio_SOURCES = fuzz/fuzz_audio.c $(SC_FUZZ_SRC_COMMON)
fuzz_fuzz_audio_CFLAGS = $(SC_FUZZ_CFLAGS)
fuzz_fuzz_audio_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_audio_LDADD = libsc/libsc.la
fuzz_fuzz_detok_front_SOURCES = fuzz/fuzz_detok_front.c $(SC_FUZZ_SRC_COMMON)
fuzz_fuzz_detok_front_CFLAGS = $(SC_FUZZ_CFLAGS)
fuzz_fuzz_detok_front_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_detok_front_LDADD = libsc/libsc.la $(LIBM)
endif

SC_REPLAY = tests/replay_ini tests/replay_melstream tests/replay_tokstream tests/replay_audio \
	tests/replay_detok_front tests/replay_npy tests/replay_ckpt
check_PROGRAMS += $(SC_REPLAY)
tests_replay_ini_SOURCES = fuzz/fuzz_ini.c fuzz/replay.c $(SC_FUZZ_SRC_COMMON)
tests_replay_ini_LDADD = libsc/libsc.la
tests_replay_melstream_SOURCES = fuzz/fuzz_melstream.c fuzz/replay.c $(SC_FUZZ_SRC_COMMON)
tests_replay_melstream_LDADD = libsc/libsc.la $(LIBM)
tests_replay_tokstream_SOURCES = fuzz/fuzz_tokstream.c fuzz/replay.c $(SC_FUZZ_SRC_COMMON)
tests_replay_tokstream_LDADD = libsc/libsc.la
tests_replay_audio_SOURCES = fuzz/fuzz_audio.c fuzz/replay.c $(SC_FUZZ_SRC_COMMON)
tests_replay_audio_LDADD = libsc/libsc.la
tests_replay_detok_front_SOURCES = fuzz/fuzz_detok_front.c fuzz/replay.c $(SC_FUZZ_SRC_COMMON)
tests_replay_detok_front_LDADD = libsc/libsc.la $(LIBM)
tests_replay_npy_SOURCES = fuzz/fuzz_npy.c fuzz/replay.c
tests_replay_npy_LDADD = libsc/libsc.la
tests_replay_ckpt_SOURCES = fuzz/fuzz_ckpt.c fuzz/replay.c
tests_replay_ckpt_LDADD = libsc/libsc.la
TESTS += tests/fuzz-replay.sh
EXTRA_DIST += tests/fuzz-replay.sh

# ---------------------------------------------------------------- faults
# Deterministic inputs for the shell tests (tokens, WAV), no sox needed.
check_PROGRAMS += tests/hardgen
tests_hardgen_SOURCES = tests/hardgen.c
tests_hardgen_CFLAGS = $(AM_CFLAGS) $(PNG_CFLAGS)
tests_hardgen_LDADD = libsc/libsc.la $(PNG_LIBS) $(LIBM)
TESTS += tests/faults.sh tests/hostile.sh
EXTRA_DIST += tests/faults.sh tests/hostile.sh

# ---------------------------------------------------------------- listening aids
bin_PROGRAMS += utils/sc-spectro utils/sc-compare
utils_sc_spectro_SOURCES = utils/sc-spectro.c utils/listen.c utils/listen.h utils/canvas.c \
	utils/canvas.h
utils_sc_spectro_CFLAGS = $(AM_CFLAGS) $(FFTW3F_CFLAGS) $(PNG_CFLAGS)
utils_sc_spectro_LDADD = utils/libsctool.la libsc/libsc.la $(FFTW3F_LIBS) $(PNG_LIBS) $(LIBM)
utils_sc_compare_SOURCES = utils/sc-compare.c utils/listen.c utils/listen.h
utils_sc_compare_CFLAGS = $(AM_CFLAGS) $(FFTW3F_CFLAGS)
utils_sc_compare_LDADD = utils/libsctool.la libsc/libsc.la $(FFTW3F_LIBS) $(LIBM)
dist_man_MANS += man/sc-spectro.1 man/sc-compare.1
TESTS += tests/compare.sh
EXTRA_DIST += tests/compare.sh

# ---------------------------------------------------------------- datasets
# The GNU parallel / Slurm recipe (doc/DATASETS.md), tested on localhost.
scscriptsdir = $(pkgdatadir)/scripts
dist_scscripts_SCRIPTS = scripts/sc-tokenize-tree
dist_doc_DATA = doc/DATASETS.md
TESTS += tests/dataset.sh
EXTRA_DIST += tests/dataset.sh

# ---------------------------------------------------------------- soak
# One hour of audio through sc-mel | sc-tokenize and its tokens through
# sc-detok --steps 2, comparing peak RSS with a 1-minute input (about two
# hours on one core; SOAK_FLAGS="-m 10 -d 600" for a shorter run).
EXTRA_DIST += scripts/soak.sh .ci/sanitize.sh
check-soak: all tests/hardgen
	$(AM_TESTS_ENVIRONMENT) $(SHELL) $(top_srcdir)/scripts/soak.sh \
	  -w $(abs_top_builddir)/soak-work $(SOAK_FLAGS)
.PHONY: check-soak
