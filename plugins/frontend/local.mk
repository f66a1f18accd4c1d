# plugins/frontend/local.mk: filled in by its area
