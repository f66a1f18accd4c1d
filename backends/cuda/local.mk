# backends/cuda/local.mk: filled in by its area
