#!/bin/sh
# The README's main job: make a 5 s sample clip, then encode and decode it
# through the pipe  sc-mel | sc-tokenize | sc-detok  with a synthetic model
# (generated in memory: the decoded audio is noise, by design).  Run from
# the top of a built tree.  Set STEPS (default 10) for the DDIM steps.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${SC_BINDIR:-$PWD/utils}
[ -x "$bin/sc-mel" ] || { echo "demo: build first (make), then run from the build tree" >&2; exit 1; }
export SC_PLUGIN_PATH="${SC_PLUGIN_PATH:-$PWD/backends/.libs:$PWD/plugins/.libs}"
export SC_SYNTH_DIR="${SC_SYNTH_DIR:-$top/data/synth}"
steps=${STEPS:-10}
out=${DEMO_OUT:-demo}
mkdir -p "$out"
# A chirp with a little noise: speech-band content of a known length.
sox -q -n -r 16000 -b 16 -c 1 "$out/sample.wav" synth 5 sine 150-3000 synth 5 whitenoise mix vol 0.3
start=$(date +%s.%N)
"$bin/sc-mel" "$out/sample.wav" | "$bin/sc-tokenize" --synthetic -f sc > "$out/sample.sc"
mid=$(date +%s.%N)
"$bin/sc-detok" --synthetic --steps "$steps" "$out/sample.sc" "$out/decoded.wav"
end=$(date +%s.%N)
bytes=$(wc -c < "$out/sample.sc")
echo "demo: 5.00 s of audio -> $bytes bytes of tokens ($out/sample.sc)"
echo "demo: encode $(awk "BEGIN{printf \"%.1f\", $mid - $start}") s, decode ($steps steps) $(awk "BEGIN{printf \"%.1f\", $end - $mid}") s"
echo "demo: decoded audio in $out/decoded.wav (synthetic weights: noise, by design)"
