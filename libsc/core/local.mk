# libsc/core/local.mk - the core of libsc: errors, logging, tensors, mapping,
# threads, configuration, the model layout, plugin loading and op
# dispatch, sessions; and the public headers of the plugin ABI (backend
# ops, the stage vtables every stage plugin implements).
libsc_libsc_la_SOURCES += \
	libsc/core/error.c libsc/core/log.c libsc/core/tensor.c libsc/core/mmap.c libsc/core/pool.c \
	libsc/core/ncpus.c libsc/core/ncpus.h libsc/core/config.c libsc/core/registry.c \
	libsc/core/dispatch.c libsc/core/host.c libsc/core/util.c libsc/core/tmpreg.c \
	libsc/core/session.c libsc/core/model.c libsc/core/internal.h libsc/core/crc32_table.h

scinclude_HEADERS += \
	include/sc/sc.h include/sc/error.h include/sc/log.h include/sc/tensor.h \
	include/sc/mmap.h include/sc/pool.h include/sc/plugin.h include/sc/backend.h \
	include/sc/ops.def include/sc/stage.h include/sc/stage_util.h include/sc/config.h \
	include/sc/registry.h include/sc/util.h include/sc/session.h include/sc/model.h \
	include/sc/stage_frontend.h include/sc/stage_semantic.h include/sc/stage_acoustic.h \
	include/sc/stage_decoder.h include/sc/stage_vocoder.h

# libFuzzer builds (fuzz/local.mk): coverage instrumentation inside libsc.
if ENABLE_FUZZING
libsc_libsc_la_CFLAGS += -fsanitize=fuzzer-no-link
endif
