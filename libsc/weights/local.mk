# libsc/weights/local.mk - the weights area: PyTorch checkpoints read in place
# (zip and legacy formats through a restricted pickle VM), .npy files, the
# sc_weights view stages use, and synthetic weights (the parity kit's rule
# and manifests) served in memory as an sc_weights source.
libsc_libsc_la_SOURCES += \
	libsc/weights/npy.c libsc/weights/ckpt.c libsc/weights/weights.c libsc/weights/zip.c libsc/weights/zip.h \
	libsc/weights/pickle.c libsc/weights/pickle.h libsc/weights/strmap.h libsc/weights/synth.c libsc/weights/synth_rule.c

scinclude_HEADERS += include/sc/npy.h include/sc/ckpt.h include/sc/weights.h \
	include/sc/synth.h
