# libsc/writer/local.mk - the torch checkpoint writer and the synthetic model
# files written with it (sc-model synth).  Not part of the installed
# library: a convenience library for sc-model and the tests, its header
# (ckptwrite.h) not installed; SC_WRITE_CPPFLAGS finds it.
noinst_LTLIBRARIES += libsc/writer/libscwrite.la
libsc_writer_libscwrite_la_SOURCES = libsc/writer/zipwrite.c libsc/writer/picklewrite.c libsc/writer/synthwrite.c \
	libsc/writer/synth_internal.h libsc/writer/ckptwrite.h
libsc_writer_libscwrite_la_LIBADD = libsc/libsc.la $(PTHREAD_LIBS)
SC_WRITE_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/libsc/writer
