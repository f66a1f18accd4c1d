# plugins/frontend/local.mk - the frontend stage "kaldi": Kaldi log-mel
# fbank, torchaudio-compatible.  The plugin links FFTW itself and never
# libsc (host table only).  No FMA contraction: the reference rounds every
# float32 step separately.
plugin_LTLIBRARIES += plugins/frontend_kaldi.la
plugins_frontend_kaldi_la_SOURCES = plugins/frontend/kaldi.c
plugins_frontend_kaldi_la_CFLAGS = $(AM_CFLAGS) -O3 -ffp-contract=off -fno-math-errno $(FFTW3F_CFLAGS)
# -z nodelete: FFTW keeps planner state in libfftw3f for the whole process;
# unmapping it at dlclose would turn that into a leak.
plugins_frontend_kaldi_la_LDFLAGS = $(PLUGIN_LDFLAGS) -Wl,-z,nodelete
plugins_frontend_kaldi_la_LIBADD = $(FFTW3F_LIBS) $(LIBM)
