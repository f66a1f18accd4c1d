# The codec API (sc/codec.h, sc_codec(3)): one-call encode/decode, the
# streaming encoder and decoder, the tokenizer engine behind them and the
# two-pass audio source (sc/source.h).
libsc_libsc_la_SOURCES += \
	libsc/codec/codec.c libsc/codec/codec_int.h libsc/codec/encoder.c \
	libsc/codec/decoder.c libsc/codec/source.c libsc/codec/tk.c libsc/codec/tk.h

scinclude_HEADERS += include/sc/codec.h include/sc/source.h

check_PROGRAMS += tests/check_codec
TESTS += tests/check_codec
tests_check_codec_SOURCES = tests/check_codec.c
tests_check_codec_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_codec_LDADD = $(CHECK_LDADD_ALL)
