# libsc/weights.mk - the weights area: PyTorch checkpoints read in place
# (zip and legacy formats through a restricted pickle VM), .npy files, the
# sc_weights view stages use, and synthetic weights (the parity kit's rule
# and manifests) served in memory as an sc_weights source.
libsc_libsc_la_SOURCES += \
	libsc/npy.c libsc/ckpt.c libsc/weights.c libsc/zip.c libsc/zip.h \
	libsc/pickle.c libsc/pickle.h libsc/strmap.h libsc/synth.c libsc/synth_rule.c

scinclude_HEADERS += include/sc/npy.h include/sc/ckpt.h include/sc/weights.h \
	include/sc/synth.h
