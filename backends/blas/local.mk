# The `blas` backend: OpenBLAS sgemm for every GEMM-shaped op, and
# element-wise kernels hand-vectorised for AVX2 and AVX-512 (picked at run
# time, portable C otherwise).  The per-ISA files are compiled with their
# own flags, hence the two convenience libraries.
plugin_LTLIBRARIES += backends/backend_blas.la
noinst_LTLIBRARIES += backends/libblas_avx2.la backends/libblas_avx512.la \
	backends/libblas_avx512bf16.la
backends_libblas_avx2_la_SOURCES = backends/blas/kern_avx2.c
backends_libblas_avx2_la_CFLAGS = $(AM_CFLAGS) -O3 $(AVX2_CFLAGS)
backends_libblas_avx512_la_SOURCES = backends/blas/kern_avx512.c
backends_libblas_avx512_la_CFLAGS = $(AM_CFLAGS) -O3 $(AVX512_CFLAGS)
# the bf16 GEMM of precision=bf16 (backends/blas/blas_bf16.h)
backends_libblas_avx512bf16_la_SOURCES = backends/blas/kern_avx512bf16.c
backends_libblas_avx512bf16_la_CFLAGS = $(AM_CFLAGS) -O3 $(AVX512BF16_CFLAGS)
backends_backend_blas_la_SOURCES = backends/blas/blas.c backends/blas/blas_nn.c \
	backends/blas/blas_conv.c backends/blas/blas_wino.c backends/blas/blas_lib.c backends/blas/kern_generic.c \
	backends/blas/blas.h backends/blas/blas_bf16.c backends/blas/blas_bf16.h
backends_backend_blas_la_CFLAGS = $(AM_CFLAGS) -O3 $(OPENBLAS_CFLAGS)
backends_backend_blas_la_LDFLAGS = $(PLUGIN_LDFLAGS)
# OpenBLAS is dlopened, not linked (blas_lib.c): only its header is used here.
backends_backend_blas_la_LIBADD = backends/libblas_avx2.la backends/libblas_avx512.la \
	backends/libblas_avx512bf16.la \
	$(DL_LIBS) $(PTHREAD_LIBS) $(LIBM)
EXTRA_DIST += backends/blas/kern.inc
