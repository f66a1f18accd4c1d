# libsc/synth.mk: filled in by its area
