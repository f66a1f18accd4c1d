# plugins/semantic/local.mk: filled in by its area
