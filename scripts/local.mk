# scripts/local.mk - helper scripts: the dataset recipe's driver
# (installed), the fuzzing driver, and the soak run.
scscriptsdir = $(pkgdatadir)/scripts
dist_scscripts_SCRIPTS = scripts/sc-tokenize-tree
EXTRA_DIST += scripts/fuzz.sh scripts/soak.sh scripts/build-deb.sh scripts/test-debs.sh

# One hour of audio through sc-mel | sc-tokenize and its tokens through
# sc-detok --steps 2, comparing peak RSS with a 1-minute input (about two
# hours on one core; SOAK_FLAGS="-m 10 -d 600" for a shorter run).
check-soak: all tests/hardgen
	$(AM_TESTS_ENVIRONMENT) $(SHELL) $(top_srcdir)/scripts/soak.sh \
	  -w $(abs_top_builddir)/soak-work $(SOAK_FLAGS)
.PHONY: check-soak
