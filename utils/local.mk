# Command-line tools.
noinst_LTLIBRARIES += utils/libsctool.la
utils_libsctool_la_SOURCES = utils/tool.c utils/tool.h
utils_libsctool_la_LIBADD = libsc/libsc.la

bin_PROGRAMS += utils/sc-info
utils_sc_info_SOURCES = utils/sc-info.c
utils_sc_info_LDADD = utils/libsctool.la libsc/libsc.la
