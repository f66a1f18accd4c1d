# Two small programs on sc/codec.h alone (sc_codec(3)); `make check` runs
# them against the tools (tests/examples.sh) and scripts/test-debs.sh
# builds one against the installed libsc-dev.
check_PROGRAMS += examples/encode examples/decode
examples_encode_SOURCES = examples/encode.c
examples_encode_LDADD = libsc/libsc.la
examples_decode_SOURCES = examples/decode.c
examples_decode_LDADD = libsc/libsc.la

TESTS += tests/examples.sh
EXTRA_DIST += tests/examples.sh
