# The CUDA backend (./configure --enable-cuda or --with-cuda=PATH).  nvcc
# compiles cuda.cu through libtool with the build-aux/nvcc-libtool wrapper
# (libtool's -fPIC/-DPIC are not nvcc options).  cudart and cuBLAS are
# linked as shared libraries with an rpath to the toolkit.
EXTRA_DIST += backends/cuda/cuda.cu backends/cuda/entry.c
if HAVE_CUDA
plugin_LTLIBRARIES += backends/backend_cuda.la
backends_backend_cuda_la_SOURCES = backends/cuda/entry.c
backends_backend_cuda_la_LIBADD = backends/cuda/cuda.lo $(CUDA_LIBS)
backends_backend_cuda_la_DEPENDENCIES = backends/cuda/cuda.lo
backends_backend_cuda_la_LDFLAGS = $(PLUGIN_LDFLAGS)
CLEANFILES += backends/cuda/cuda.lo backends/cuda/cuda.o backends/cuda/.libs/cuda.o
endif
AM_NVCCFLAGS = -I$(top_srcdir)/include -I$(top_builddir) $(CUDA_CFLAGS) --fmad=false \
	-std=c++17 -Xcompiler -fvisibility=hidden
AM_V_NVCC = $(am__v_NVCC_@AM_V@)
am__v_NVCC_ = $(am__v_NVCC_@AM_DEFAULT_V@)
am__v_NVCC_0 = @echo "  NVCC    " $@;
am__v_NVCC_1 =
SUFFIXES = .cu .lo
.cu.lo:
	$(AM_V_NVCC)$(MKDIR_P) $(@D) && $(LIBTOOL) $(AM_V_lt) --tag=CC --mode=compile \
	  $(SHELL) $(top_srcdir)/build-aux/nvcc-libtool $(NVCC) $(AM_NVCCFLAGS) $(NVCCFLAGS) \
	  -c -o $@ $<
