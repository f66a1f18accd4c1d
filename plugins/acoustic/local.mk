# The acoustic quantizer stage "bilstm" (padding mark, BiLSTM, output
# linear, VQ; ARCHITECTURE.md §5.3-§5.6), the token formats (sc-stream(5)
# TOKEN STREAM) and the tokenizer tools sc-tokenize / sc-encode.
scinclude_HEADERS += include/sc/stage_acoustic.h include/sc/tokstream.h

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

# The tokenizer tools; utils/tokenize.[ch] is the engine both share
# (bounded queue of windows, batched through the semantic and acoustic
# stages).
bin_PROGRAMS += utils/sc-tokenize utils/sc-encode
utils_sc_tokenize_SOURCES = utils/sc-tokenize.c utils/tokenize.c utils/tokenize.h
utils_sc_tokenize_LDADD = utils/libsctool.la libsc/libsc.la $(LIBM)
utils_sc_encode_SOURCES = utils/sc-encode.c utils/tokenize.c utils/tokenize.h
utils_sc_encode_LDADD = utils/libsctool.la libsc/libsc.la $(LIBM)

# Parity of the stage (LSTM + linear, acoustic tokens) and of the whole
# encode from audio, on every backend found (see the file's header).
check_PROGRAMS += tests/check_acoustic
TESTS += tests/check_acoustic
tests_check_acoustic_SOURCES = tests/check_acoustic.c utils/tokenize.c utils/tokenize.h
tests_check_acoustic_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_acoustic_LDADD = $(CHECK_LDADD_ALL)

dist_man_MANS += man/sc-tokenize.1 man/sc-encode.1

# The tools end to end (pipe vs sc-encode vs golden, bad input).
TESTS += tests/sc-tokenize.sh
EXTRA_DIST += tests/sc-tokenize.sh
# Thread counts that once gave wrong tokens, against -j 1.
TESTS += tests/sc-tokenize-threads.sh
EXTRA_DIST += tests/sc-tokenize-threads.sh

# Speed and memory against the official code (make bench).
SC_BENCHES += bench/encode.sh
EXTRA_DIST += bench/encode.sh
