# The Python package semanticodec_c (python/): pure Python over ctypes,
# installed into $(pythondir) with libsc.  _config.py records where libsc
# is installed ($(libdir)/ plus the soname libtool gave it), so the
# installed module loads its own libsc without LD_LIBRARY_PATH.
scpy_sources = python/semanticodec_c/__init__.py python/semanticodec_c/_errors.py \
	python/semanticodec_c/_lib.py python/semanticodec_c/codec.py
scpy_tests = python/tests/conftest.py python/tests/test_api.py \
	python/tests/test_golden.py python/tests/test_decode.py
EXTRA_DIST += $(scpy_sources) python/semanticodec_c/_config.py.in $(scpy_tests) \
	tests/python.sh doc/PYTHON.md
if HAVE_PYTHON
semanticodec_cdir = $(pythondir)/semanticodec_c
semanticodec_c_PYTHON = $(scpy_sources)
nodist_semanticodec_c_PYTHON = python/semanticodec_c/_config.py
endif
noinst_DATA = python/semanticodec_c/_config.py
CLEANFILES += python/semanticodec_c/_config.py

python/semanticodec_c/_config.py: $(srcdir)/python/semanticodec_c/_config.py.in \
		libsc/libsc.la Makefile
	$(AM_V_GEN)$(MKDIR_P) python/semanticodec_c && \
	dlname=`sed -n "s/^dlname='\(.*\)'$$/\1/p" libsc/libsc.la` && \
	test -n "$$dlname" && \
	sed -e "s|%LIBSC%|$(libdir)/$$dlname|" -e 's|%VERSION%|$(VERSION)|' \
		$(srcdir)/python/semanticodec_c/_config.py.in > $@-t && mv $@-t $@

# pytest under make check: the uninstalled package against the build
# tree's libsc (tests/python.sh).
TESTS += tests/python.sh
AM_TESTS_ENVIRONMENT += SC_PYTHON='$(PYTHON)'; export SC_PYTHON;
