# libsc/weights.mk - the weights area: PyTorch checkpoints read in place
# (zip and legacy formats through a restricted pickle VM), .npy files, and
# the sc_weights view stages use.
libsc_libsc_la_SOURCES += \
	libsc/npy.c libsc/ckpt.c libsc/weights.c libsc/zip.c libsc/zip.h \
	libsc/pickle.c libsc/pickle.h libsc/strmap.h

scinclude_HEADERS += include/sc/npy.h include/sc/ckpt.h include/sc/weights.h

check_PROGRAMS += tests/check_ckpt tests/check_npy
TESTS += tests/check_ckpt tests/check_npy
tests_check_ckpt_SOURCES = tests/check_ckpt.c
tests_check_ckpt_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_ckpt_LDADD = $(CHECK_LDADD_ALL)
tests_check_npy_SOURCES = tests/check_npy.c
tests_check_npy_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_npy_LDADD = $(CHECK_LDADD_ALL)

# Seed corpora for the fuzzers.
EXTRA_DIST += tests/fuzz

# libFuzzer targets: configure CC=clang --enable-fuzzing CFLAGS="-g -O1
# -fsanitize=address,undefined" LDFLAGS="-fsanitize=address,undefined".
# Only these programs link -fsanitize=fuzzer; libsc gets coverage
# instrumentation (fuzzer-no-link) so the fuzzers see inside it.  libFuzzer
# adds inputs to its corpus folder, so run on a copy of the seeds:
#   cp -r $(srcdir)/tests/fuzz/ckpt corpus && ./fuzz/fuzz_ckpt -max_total_time=600 corpus
if ENABLE_FUZZING
libsc_libsc_la_CFLAGS += -fsanitize=fuzzer-no-link
noinst_PROGRAMS += fuzz/fuzz_ckpt fuzz/fuzz_npy
fuzz_fuzz_ckpt_SOURCES = fuzz/fuzz_ckpt.c
fuzz_fuzz_ckpt_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
fuzz_fuzz_ckpt_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_ckpt_LDADD = libsc/libsc.la
fuzz_fuzz_npy_SOURCES = fuzz/fuzz_npy.c
fuzz_fuzz_npy_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
fuzz_fuzz_npy_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_npy_LDADD = libsc/libsc.la
endif
