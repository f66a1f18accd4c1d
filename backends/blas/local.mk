# backends/blas/local.mk: filled in by its area
