# doc/local.mk - documents installed with the package.
# The GNU parallel / Slurm recipe for token datasets (tested by
# tests/dataset.sh on localhost).
dist_doc_DATA = doc/DATASETS.md
