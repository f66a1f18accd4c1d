# plugins/acoustic/local.mk - the acoustic quantizer stage "bilstm"
# (padding mark, BiLSTM, output linear, VQ; ARCHITECTURE.md §5.3-§5.6).
plugin_LTLIBRARIES += plugins/acoustic_bilstm.la
plugins_acoustic_bilstm_la_SOURCES = plugins/acoustic/bilstm.c
plugins_acoustic_bilstm_la_LDFLAGS = $(PLUGIN_LDFLAGS)
