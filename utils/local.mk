# utils/local.mk - the command-line tools and the helper library they
# share (utils/tool.c: option parsing, logging, exit codes).
noinst_LTLIBRARIES += utils/libsctool.la
utils_libsctool_la_SOURCES = utils/tool.c utils/tool.h
utils_libsctool_la_LIBADD = libsc/libsc.la

bin_PROGRAMS += utils/sc-info
utils_sc_info_SOURCES = utils/sc-info.c
utils_sc_info_LDADD = utils/libsctool.la libsc/libsc.la

# Audio -> mel stream.
bin_PROGRAMS += utils/sc-mel
utils_sc_mel_SOURCES = utils/sc-mel.c
utils_sc_mel_LDADD = utils/libsctool.la libsc/libsc.la

# The tokenizer tools, on the codec API (sc/codec.h).
bin_PROGRAMS += utils/sc-tokenize utils/sc-encode
utils_sc_tokenize_SOURCES = utils/sc-tokenize.c
utils_sc_tokenize_LDADD = utils/libsctool.la libsc/libsc.la $(LIBM)
utils_sc_encode_SOURCES = utils/sc-encode.c
utils_sc_encode_LDADD = utils/libsctool.la libsc/libsc.la $(LIBM)

# Tokens -> audio (streaming) and many files with one model load.
bin_PROGRAMS += utils/sc-detok utils/sc-decode
utils_sc_detok_SOURCES = utils/sc-detok.c utils/detok.c utils/detok.h
utils_sc_detok_LDADD = utils/libsctool.la libsc/libsc.la $(LIBM)
utils_sc_decode_SOURCES = utils/sc-decode.c utils/detok.c utils/detok.h
utils_sc_decode_LDADD = utils/libsctool.la libsc/libsc.la $(LIBM)

# Model folders: synthesize, verify, inspect, fetch (links the checkpoint
# writer, libsc/writer/libscwrite.la).
bin_PROGRAMS += utils/sc-model
utils_sc_model_SOURCES = utils/sc-model.c utils/fetch.c utils/fetch.h
utils_sc_model_CPPFLAGS = $(SC_WRITE_CPPFLAGS)
utils_sc_model_LDADD = utils/libsctool.la libsc/writer/libscwrite.la libsc/libsc.la

# Listening aids (issue 8).
bin_PROGRAMS += utils/sc-spectro utils/sc-compare
utils_sc_spectro_SOURCES = utils/sc-spectro.c utils/listen.c utils/listen.h utils/canvas.c \
	utils/canvas.h
utils_sc_spectro_CFLAGS = $(AM_CFLAGS) $(FFTW3F_CFLAGS) $(PNG_CFLAGS)
utils_sc_spectro_LDADD = utils/libsctool.la libsc/libsc.la $(FFTW3F_LIBS) $(PNG_LIBS) $(LIBM)
utils_sc_compare_SOURCES = utils/sc-compare.c utils/listen.c utils/listen.h
utils_sc_compare_CFLAGS = $(AM_CFLAGS) $(FFTW3F_CFLAGS)
utils_sc_compare_LDADD = utils/libsctool.la libsc/libsc.la $(FFTW3F_LIBS) $(LIBM)
