# plugins/acoustic/local.mk: filled in by its area
