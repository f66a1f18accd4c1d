# plugins/vocoder/local.mk: filled in by its area
