# Test helpers shared by every Check program: locating the parity kit (a
# missing file FAILS), reading goldens, comparing with tolerances.
noinst_LTLIBRARIES += tests/libsctest.la
tests_libsctest_la_SOURCES = tests/sctest.c tests/sctest.h
tests_libsctest_la_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_libsctest_la_LIBADD = libsc/libsc.la $(CHECK_LIBS)

check_PROGRAMS += tests/check_core tests/check_ops
TESTS += tests/check_core tests/check_ops
tests_check_core_SOURCES = tests/check_core.c
tests_check_core_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_core_LDADD = $(CHECK_LDADD_ALL)
tests_check_ops_SOURCES = tests/check_ops.c
tests_check_ops_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_ops_LDADD = $(CHECK_LDADD_ALL)

# A plugin built for another ABI version, to prove it is refused.
check_LTLIBRARIES = tests/plugins/backend_badabi.la
tests_plugins_backend_badabi_la_SOURCES = tests/badabi.c
tests_plugins_backend_badabi_la_LDFLAGS = $(PLUGIN_LDFLAGS) -rpath /nowhere
EXTRA_DIST += tests/data

# libsc.so exports only what the installed headers declare.
TESTS += tests/symbols.sh
EXTRA_DIST += tests/symbols.sh
