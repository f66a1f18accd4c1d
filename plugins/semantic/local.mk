# The semantic quantizer stage "audiomae": AudioMAE ViT-B, K-stacking and
# the k-means semantic codebook search (ARCHITECTURE.md §3-§5.2).
scinclude_HEADERS += include/sc/stage_semantic.h

plugin_LTLIBRARIES += plugins/semantic_audiomae.la
plugins_semantic_audiomae_la_SOURCES = plugins/semantic/semantic.c \
	plugins/semantic/audiomae.c plugins/semantic/semantic.h
plugins_semantic_audiomae_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_semantic_audiomae_la_LIBADD = $(LIBM)

# Parity against the golden AudioMAE / stacked / token files on every
# backend found (ref required; blas once it is built).
check_PROGRAMS += tests/check_semantic
TESTS += tests/check_semantic
tests_check_semantic_SOURCES = tests/check_semantic.c
tests_check_semantic_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_semantic_LDADD = $(CHECK_LDADD_ALL)

# Timing of AudioMAE and the codebook search per backend.
noinst_PROGRAMS += bench/bench_semantic
bench_bench_semantic_SOURCES = bench/bench_semantic.c bench/benchutil.c bench/benchutil.h
bench_bench_semantic_LDADD = libsc/libsc.la $(LIBM)
SC_BENCHES += bench/semantic.sh
EXTRA_DIST += bench/semantic.sh
