# fuzz/local.mk - libFuzzer targets for every input parser.  Build with
#   configure CC=clang --enable-fuzzing CFLAGS="-g -O1 -fsanitize=address,undefined" \
#             LDFLAGS="-fsanitize=address,undefined"
# Only these programs link -fsanitize=fuzzer; libsc gets coverage
# instrumentation (fuzzer-no-link, libsc/core/local.mk) so the fuzzers see inside
# it.  libFuzzer adds inputs to its corpus folder, so run each on a copy of
# its seeds:
#   cp -r $(srcdir)/tests/fuzz/tokstream c && ./fuzz/fuzz_tokstream -dict=... c
# scripts/fuzz.sh runs them all in turn.  The same sources are linked with
# fuzz/replay.c into plain programs that replay the seeds and every saved
# finding (tests/fuzz/regress/TARGET/) in `make check` (tests/local.mk).
SC_FUZZ_SRC_COMMON = fuzz/fuzzfix.h
EXTRA_DIST += fuzz/lsan.supp fuzz/mkseeds.py

if ENABLE_FUZZING
SC_FUZZ_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer -DSC_LIBFUZZER
noinst_PROGRAMS += fuzz/fuzz_ckpt fuzz/fuzz_npy fuzz/fuzz_ini fuzz/fuzz_melstream \
	fuzz/fuzz_tokstream fuzz/fuzz_audio fuzz/fuzz_detok_front
fuzz_fuzz_ckpt_SOURCES = fuzz/fuzz_ckpt.c
fuzz_fuzz_ckpt_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
fuzz_fuzz_ckpt_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_ckpt_LDADD = libsc/libsc.la
fuzz_fuzz_npy_SOURCES = fuzz/fuzz_npy.c
fuzz_fuzz_npy_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
fuzz_fuzz_npy_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_npy_LDADD = libsc/libsc.la
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
