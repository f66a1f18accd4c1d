# The acoustic quantizer stage "bilstm" (padding mark, BiLSTM, output
# linear, VQ; ARCHITECTURE.md §5.3-§5.6), the token formats (sc-stream(5)
# TOKEN STREAM) and the tokenizer tools sc-tokenize / sc-encode.
nobase_include_HEADERS += include/sc/stage_acoustic.h include/sc/tokstream.h

plugin_LTLIBRARIES += plugins/acoustic_bilstm.la
plugins_acoustic_bilstm_la_SOURCES = plugins/acoustic/bilstm.c
plugins_acoustic_bilstm_la_LDFLAGS = $(PLUGIN_LDFLAGS)

# Token files live in libsc so that sc-detok (decoder side) reads them too.
libsc_libsc_la_SOURCES += libsc/tokstream.c

check_PROGRAMS += tests/check_tokstream
TESTS += tests/check_tokstream
tests_check_tokstream_SOURCES = tests/check_tokstream.c
tests_check_tokstream_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_tokstream_LDADD = $(CHECK_LDADD_ALL)
