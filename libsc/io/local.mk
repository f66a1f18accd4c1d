# libsc/io/local.mk - audio and stream I/O shared by the tools and the tests:
# audio files through libsndfile, the torchaudio resampler, the mel and
# token streams (sc-stream(5)) and the framing they share.
libsc_libsc_la_SOURCES += \
	libsc/io/audio.c libsc/io/resample.c libsc/io/melstream.c libsc/io/tokstream.c \
	libsc/io/frame.c libsc/io/frame.h

scinclude_HEADERS += include/sc/audio.h include/sc/resample.h include/sc/melstream.h \
	include/sc/tokstream.h
