# libsc/synth.mk: synthetic weights (the parity kit's rule and manifests),
# the torch checkpoint writer and the sc-model tool.
libsc_libsc_la_SOURCES += libsc/synth.c libsc/synth_rule.c
scinclude_HEADERS += include/sc/synth.h

# The checkpoint writer is not part of the installed library: a
# convenience library for sc-model and the tests, header not installed.
noinst_LTLIBRARIES += libsc/libscwrite.la
libsc_libscwrite_la_SOURCES = libsc/zipwrite.c libsc/picklewrite.c libsc/synthwrite.c \
	libsc/synth_internal.h libsc/ckptwrite.h
libsc_libscwrite_la_LIBADD = libsc/libsc.la $(PTHREAD_LIBS)
SC_WRITE_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/libsc

# The kit's manifests and fixed tensors, installed for sc_synth_default_dir()
# (SC_SYNTHDIR, set in Makefile.am; tests get $SC_SYNTH_DIR = this source copy).
synthdir = $(pkgdatadir)/synth
dist_synth_DATA = \
	data/synth/manifest-tr100-encoder.tsv data/synth/manifest-tr100-decoder.tsv \
	data/synth/manifest-tr50-encoder.tsv data/synth/manifest-tr50-decoder.tsv \
	data/synth/manifest-tr25-encoder.tsv data/synth/manifest-tr25-decoder.tsv \
	data/synth/semantic-codebooks.tsv data/synth/prng-check.tsv
synthfixeddir = $(synthdir)/weights-fixed
dist_synthfixed_DATA = \
	data/synth/weights-fixed/audiomae.decoder_pos_embed.npy \
	data/synth/weights-fixed/audiomae.pos_embed.npy \
	data/synth/weights-fixed/schedule.alphas_cumprod.npy \
	data/synth/weights-fixed/schedule.alphas_cumprod_prev.npy \
	data/synth/weights-fixed/schedule.betas.npy \
	data/synth/weights-fixed/schedule.log_one_minus_alphas_cumprod.npy \
	data/synth/weights-fixed/schedule.posterior_log_variance_clipped.npy \
	data/synth/weights-fixed/schedule.posterior_mean_coef1.npy \
	data/synth/weights-fixed/schedule.posterior_mean_coef2.npy \
	data/synth/weights-fixed/schedule.posterior_variance.npy \
	data/synth/weights-fixed/schedule.sqrt_alphas_cumprod.npy \
	data/synth/weights-fixed/schedule.sqrt_one_minus_alphas_cumprod.npy \
	data/synth/weights-fixed/schedule.sqrt_recip_alphas_cumprod.npy \
	data/synth/weights-fixed/schedule.sqrt_recipm1_alphas_cumprod.npy

bin_PROGRAMS += utils/sc-model
utils_sc_model_SOURCES = utils/sc-model.c
utils_sc_model_CPPFLAGS = $(SC_WRITE_CPPFLAGS)
utils_sc_model_LDADD = utils/libsctool.la libsc/libscwrite.la libsc/libsc.la

dist_man_MANS += man/sc-model.1

check_PROGRAMS += tests/check_synth
TESTS += tests/check_synth tests/sc-model.sh
tests_check_synth_SOURCES = tests/check_synth.c
tests_check_synth_CPPFLAGS = $(SC_WRITE_CPPFLAGS)
tests_check_synth_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_synth_LDADD = libsc/libscwrite.la $(CHECK_LDADD_ALL) $(DL_LIBS)

EXTRA_DIST += tests/sc-model.sh bench/synth.sh
SC_BENCHES += bench/synth.sh
