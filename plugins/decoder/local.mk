# plugins/decoder/local.mk: filled in by its area
