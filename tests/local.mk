# tests/local.mk - every test of `make check`: the Check unit and parity
# programs (tests/check_*.c), the shell tests of the real tools
# (tests/*.sh), the fuzz seed replays and their helper programs.

# Test helpers shared by every Check program: locating the parity kit (a
# missing file FAILS), reading goldens, comparing with tolerances.
noinst_LTLIBRARIES += tests/libsctest.la
tests_libsctest_la_SOURCES = tests/sctest.c tests/sctest.h
tests_libsctest_la_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_libsctest_la_LIBADD = libsc/libsc.la $(CHECK_LIBS)

# ---------------------------------------------------------------- core
check_PROGRAMS += tests/check_core tests/check_ops
TESTS += tests/check_core tests/check_ops tests/ncpus.sh
EXTRA_DIST += tests/ncpus.sh
tests_check_core_SOURCES = tests/check_core.c libsc/core/ncpus.c libsc/core/ncpus.h
tests_check_core_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_core_LDADD = $(CHECK_LDADD_ALL)
tests_check_ops_SOURCES = tests/check_ops.c
tests_check_ops_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_ops_LDADD = $(CHECK_LDADD_ALL)

# The blas backend when dlmopen cannot give it a private OpenBLAS.
check_PROGRAMS += tests/check_blasshare
TESTS += tests/check_blasshare
tests_check_blasshare_SOURCES = tests/check_blasshare.c
tests_check_blasshare_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_blasshare_LDADD = $(CHECK_LDADD_ALL) $(DL_LIBS)

# A plugin built for another ABI version, to prove it is refused.
check_LTLIBRARIES = tests/plugins/backend_badabi.la
tests_plugins_backend_badabi_la_SOURCES = tests/badabi.c
tests_plugins_backend_badabi_la_LDFLAGS = $(PLUGIN_LDFLAGS) -rpath /nowhere

# The CUDA backend against ref (skips without a GPU build).
TESTS += tests/check-cuda.sh
EXTRA_DIST += tests/check-cuda.sh

# ---------------------------------------------------------------- weights
check_PROGRAMS += tests/check_ckpt tests/check_npy
TESTS += tests/check_ckpt tests/check_npy
tests_check_ckpt_SOURCES = tests/check_ckpt.c
tests_check_ckpt_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_ckpt_LDADD = $(CHECK_LDADD_ALL)
tests_check_npy_SOURCES = tests/check_npy.c
tests_check_npy_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_npy_LDADD = $(CHECK_LDADD_ALL)

# Synthetic weights and the checkpoint writer; sc-model end to end.
check_PROGRAMS += tests/check_synth
TESTS += tests/check_synth tests/sc-model.sh
tests_check_synth_SOURCES = tests/check_synth.c
tests_check_synth_CPPFLAGS = $(SC_WRITE_CPPFLAGS)
tests_check_synth_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_synth_LDADD = libsc/writer/libscwrite.la $(CHECK_LDADD_ALL) $(DL_LIBS)
EXTRA_DIST += tests/sc-model.sh

# ---------------------------------------------------------------- stages
# Frontend parity; sc-mel end to end.
check_PROGRAMS += tests/check_frontend tests/npycmp
TESTS += tests/check_frontend tests/sc-mel.sh
EXTRA_DIST += tests/sc-mel.sh
tests_check_frontend_SOURCES = tests/check_frontend.c
tests_check_frontend_CFLAGS = $(CHECK_CFLAGS_ALL) $(FFTW3F_CFLAGS)
tests_check_frontend_LDADD = $(CHECK_LDADD_ALL)
# compares .npy files for the shell tests (tests/npycmp -a ABS [-r RMS] A B)
tests_npycmp_SOURCES = tests/npycmp.c
tests_npycmp_LDADD = libsc/libsc.la $(LIBM)

# Parity against the golden AudioMAE / stacked / token files on every
# backend found (ref required; blas once it is built).
check_PROGRAMS += tests/check_semantic
TESTS += tests/check_semantic
tests_check_semantic_SOURCES = tests/check_semantic.c
tests_check_semantic_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_semantic_LDADD = $(CHECK_LDADD_ALL)

# The token formats (sc-stream(5) TOKEN STREAM).
check_PROGRAMS += tests/check_tokstream
TESTS += tests/check_tokstream
tests_check_tokstream_SOURCES = tests/check_tokstream.c
tests_check_tokstream_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_tokstream_LDADD = $(CHECK_LDADD_ALL)

# Parity of the acoustic stage (LSTM + linear, acoustic tokens) and of the
# whole encode from audio, on every backend found (see the file's header).
check_PROGRAMS += tests/check_acoustic
TESTS += tests/check_acoustic
tests_check_acoustic_SOURCES = tests/check_acoustic.c libsc/codec/tk.c libsc/codec/tk.h
tests_check_acoustic_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_acoustic_LDADD = $(CHECK_LDADD_ALL)

# The tokenizer tools end to end (pipe vs sc-encode vs golden, bad input).
TESTS += tests/sc-tokenize.sh
EXTRA_DIST += tests/sc-tokenize.sh
# Thread counts that once gave wrong tokens, against -j 1.
TESTS += tests/sc-tokenize-threads.sh
EXTRA_DIST += tests/sc-tokenize-threads.sh

# Parity against the golden conditioning, UNet, DDIM chain and long-clip
# latents on every CPU backend (ref required; blas once built).
check_PROGRAMS += tests/check_decoder
TESTS += tests/check_decoder
tests_check_decoder_SOURCES = tests/check_decoder.c
tests_check_decoder_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_decoder_LDADD = $(CHECK_LDADD_ALL)

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
TESTS += tests/sc-detok-precision.sh
EXTRA_DIST += tests/sc-detok-precision.sh

check_PROGRAMS += tests/check_vocoder
TESTS += tests/check_vocoder
tests_check_vocoder_SOURCES = tests/check_vocoder.c
tests_check_vocoder_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_vocoder_LDADD = $(CHECK_LDADD_ALL)

# The decoding tools end to end (parity with the golden decode, pipes,
# bad input); needs sc-mel/sc-tokenize and npycmp.
TESTS += tests/sc-detok.sh
EXTRA_DIST += tests/sc-detok.sh

# ---------------------------------------------------------------- hardening
# The fuzz targets' seeds and saved findings, replayed without libFuzzer
# (fuzz/replay.c) through each target's own checks.
EXTRA_DIST += tests/fuzz
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

# Deterministic inputs for the shell tests (tokens, WAV), no sox needed;
# fault injection.
check_PROGRAMS += tests/hardgen
tests_hardgen_SOURCES = tests/hardgen.c
tests_hardgen_CFLAGS = $(AM_CFLAGS) $(PNG_CFLAGS)
tests_hardgen_LDADD = libsc/libsc.la $(PNG_LIBS) $(LIBM)
TESTS += tests/faults.sh tests/hostile.sh
EXTRA_DIST += tests/faults.sh tests/hostile.sh tests/toolcheck.sh
# The decode ETA covers the vocoder (a terminal under script(1)).
TESTS += tests/progress.sh
EXTRA_DIST += tests/progress.sh

# The listening aids; the dataset recipe on localhost.
TESTS += tests/compare.sh tests/dataset.sh
EXTRA_DIST += tests/compare.sh tests/dataset.sh

# ---------------------------------------------------------------- tools, pages
TESTS += tests/man-lint.sh tests/sc-info.sh
EXTRA_DIST += tests/man-lint.sh tests/sc-info.sh

# libsc.so exports only what the installed headers declare.
TESTS += tests/symbols.sh
EXTRA_DIST += tests/symbols.sh
