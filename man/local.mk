# man/local.mk - every manual page, and the lint test that keeps each
# page mandoc -Tlint clean (tests/local.mk).
dist_man_MANS += man/sc.ini.5 man/sc-info.1 man/sc-mel.1 man/sc-stream.5 \
	man/sc-tokenize.1 man/sc-encode.1 man/sc-detok.1 man/sc-decode.1 man/sc-model.1 \
	man/sc-spectro.1 man/sc-compare.1 man/sc_codec.3
