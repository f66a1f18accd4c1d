# man/local.mk: filled in by its area
