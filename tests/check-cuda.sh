#!/bin/sh
# The CUDA backend's parity test: with a GPU, runs the op test (every op of
# every backend against ref) with the cuda backend loaded and requires it
# to have been exercised.  Without a GPU (CI, CPU machines) it skips with
# exit 77 and says why.
set -u
so=
for d in $(echo "$SC_PLUGIN_PATH" | tr ':' ' '); do
  [ -e "$d/backend_cuda.so" ] && so="$d/backend_cuda.so"
done
if [ -z "$so" ]; then
  echo "SKIP: the cuda backend is not built (./configure --enable-cuda)"; exit 77
fi
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "SKIP: no NVIDIA GPU on this machine ($so is built)"; exit 77
fi
out=$("$SC_BINDIR/sc-info" 2>&1)
echo "$out" | grep -q "backend *cuda" || { echo "FAIL: cuda backend not loaded:"; echo "$out"; exit 1; }
SC_OPS_REQUIRE=cuda "$SC_BUILDDIR/tests/check_ops"
