# libsc/weights.mk: filled in by its area
