# The reference backend: plain portable C, the oracle every other backend is
# tested against.
plugin_LTLIBRARIES += backends/backend_ref.la
backends_backend_ref_la_SOURCES = backends/ref/ref.c backends/ref/ref_gemm.c \
	backends/ref/ref_nn.c backends/ref/ref_conv.c backends/ref/ref.h
backends_backend_ref_la_CFLAGS = $(AM_CFLAGS) -O3 -ffp-contract=off
backends_backend_ref_la_LDFLAGS = $(PLUGIN_LDFLAGS)
backends_backend_ref_la_LIBADD = $(LIBM)
