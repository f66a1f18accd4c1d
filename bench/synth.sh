#!/bin/sh
# Synthetic model costs: wall time of `sc-model synth --rate 100` (2.6 GB:
# both checkpoints and four codebooks), and the cost of opening the
# synthesized encoder and decoder (time, resident memory after open) as
# `sc-model verify -v` reports it.  The writer streams at the speed the
# file system takes data; compare with the dd line printed first.
# Run with `make bench` (or by hand with SC_BINDIR, SC_SCRATCH and
# SC_SYNTH_DIR set).
set -eu
model="$SC_BINDIR/sc-model"
D="$SC_SCRATCH/bench-synth"
rm -rf "$D"
mkdir -p "$D"
trap 'rm -rf "$D"' EXIT

secs() { date +%s.%N; }
el() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# the file system's own streaming speed, for scale
t0=$(secs)
dd if=/dev/zero of="$D/dd.bin" bs=1M count=1024 conv=fsync 2>/dev/null || true
t1=$(secs)
rm -f "$D/dd.bin"
echo "dd 1 GiB (with fsync):                 $(el "$t0" "$t1") s"

for threads in 1 0; do
  rm -rf "$D/m"
  t0=$(secs)
  "$model" synth --rate 100 -j "$threads" -o "$D/m" -q
  t1=$(secs)
  echo "sc-model synth --rate 100 -j $threads:         $(el "$t0" "$t1") s  ($(du -sh "$D/m" | cut -f1))"
done

t0=$(secs)
"$model" verify "$D/m" -q
t1=$(secs)
echo "sc-model verify (whole folder):         $(el "$t0" "$t1") s"
"$model" verify "$D/m" --rate 100 --vocab 16384 -v 2>&1 | grep "opened in"
