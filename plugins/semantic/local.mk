# plugins/semantic/local.mk - the semantic quantizer stage "audiomae":
# AudioMAE ViT-B, K-stacking and the k-means semantic codebook search
# (ARCHITECTURE.md §3-§5.2).
plugin_LTLIBRARIES += plugins/semantic_audiomae.la
plugins_semantic_audiomae_la_SOURCES = plugins/semantic/semantic.c \
	plugins/semantic/audiomae.c plugins/semantic/semantic.h
plugins_semantic_audiomae_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_semantic_audiomae_la_LIBADD = $(LIBM)
