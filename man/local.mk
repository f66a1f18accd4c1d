# Manual pages of the core (tools' pages are listed by their areas) and
# the lint test that keeps every page mandoc -Tlint clean.
dist_man_MANS += man/sc.ini.5 man/sc-info.1 man/sc_codec.3
TESTS += tests/man-lint.sh tests/sc-info.sh
EXTRA_DIST += tests/man-lint.sh tests/sc-info.sh
