# libsc/dsp/local.mk - signal code the tools and stages share: the documented
# noise generator of the decoder (sc/noise.h) and the overlap-add of
# decoded windows (sc/ola.h).
libsc_libsc_la_SOURCES += libsc/dsp/noise.c libsc/dsp/ola.c
scinclude_HEADERS += include/sc/noise.h include/sc/ola.h
