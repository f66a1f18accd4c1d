#!/bin/sh
# sc-mel(1) end to end: the real tool against the golden filterbanks (files,
# pipes, resampled input), the sc stream layout, thread independence, and
# bad input (exit status, one-line message naming the file, no output left).
set -u
: "${SC_BINDIR:?run with make check}" "${SC_REFDIR:?}" "${SC_SCRATCH:?}" "${SC_BUILDDIR:?}"
MEL=$SC_BINDIR/sc-mel
CMP=$SC_BUILDDIR/tests/npycmp
G=$SC_REFDIR/golden
D=$SC_SCRATCH/sc-mel
rm -rf "$D"
mkdir -p "$D"
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
for f in short_wave.wav long_wave.wav resample_input_44k1_stereo.wav short_fbank.npy \
         long_fbank.npy resample_fbank.npy; do
  [ -r "$G/$f" ] || { echo "FAIL: parity kit file missing: $G/$f"; exit 1; }
done

# 1. parity through the tool (seekable 16 kHz file: two-pass streaming path)
for c in short long; do
  if "$MEL" -f npy "$G/${c}_wave.wav" "$D/$c.npy" 2>"$D/err"; then
    if r=$("$CMP" -a 1e-4 "$D/$c.npy" "$G/${c}_fbank.npy"); then ok "$c fbank: $r"
    else bad "$c fbank: $r"; fi
  else bad "$c: sc-mel failed: $(cat "$D/err")"; fi
done

# 2. stdin pipe and stdout (whole-buffer path) give the same bytes
if cat "$G/long_wave.wav" | "$MEL" -f npy - - >"$D/pipe.npy" 2>"$D/err"; then
  if cmp -s "$D/pipe.npy" "$D/long.npy"; then ok "pipe output identical"
  else bad "pipe output differs from file output"; fi
else bad "pipe: $(cat "$D/err")"; fi
# regular file on stdin (seekable)
if "$MEL" -f npy <"$G/short_wave.wav" >"$D/stdin.npy" 2>"$D/err" &&
   cmp -s "$D/stdin.npy" "$D/short.npy"; then ok "stdin redirect identical"
else bad "stdin redirect: $(cat "$D/err")"; fi

# 3. 44.1 kHz stereo: channel 0, torchaudio resampler
if "$MEL" -f npy "$G/resample_input_44k1_stereo.wav" "$D/rs.npy" 2>"$D/err"; then
  if r=$("$CMP" -a 1e-3 -r 2e-5 "$D/rs.npy" "$G/resample_fbank.npy"); then ok "resample fbank: $r"
  else bad "resample fbank: $r"; fi
else bad "resample: $(cat "$D/err")"; fi

# streaming resampler (file) = same through a pipe (rewound in memory)
if cat "$G/resample_input_44k1_stereo.wav" | "$MEL" -f npy - - >"$D/rs_pipe.npy" 2>"$D/err" &&
   cmp -s "$D/rs_pipe.npy" "$D/rs.npy"; then ok "resample pipe identical"
else bad "resample pipe: $(cat "$D/err")"; fi

# 4. thread count does not change a bit
"$MEL" -j 1 -f npy "$G/long_wave.wav" "$D/j1.npy" 2>/dev/null
"$MEL" -j 2 -f npy "$G/long_wave.wav" "$D/j2.npy" 2>/dev/null
if cmp -s "$D/j1.npy" "$D/j2.npy" && cmp -s "$D/j1.npy" "$D/long.npy"; then ok "threads 1 = 2"
else bad "output depends on the thread count"; fi

# 5. the sc stream: size and magic; default format
if "$MEL" "$G/long_wave.wav" "$D/long.scmel" 2>"$D/err"; then
  size=$(wc -c <"$D/long.scmel" | tr -d ' ')
  want=$((64 + 2 * (24 + 1024 * 128 * 4) + 24))
  magic=$(head -c 4 "$D/long.scmel")
  if [ "$size" -eq "$want" ] && [ "$magic" = SCML ]; then ok "sc stream: $size bytes"
  else bad "sc stream: $size bytes (want $want), magic '$magic'"; fi
else bad "sc stream: $(cat "$D/err")"; fi

# 6. bad input: exit status, one line naming the file, no output left
expect() {  # expect STATUS WHAT OUTFILE -- args...
  st=$1 what=$2 out=$3
  shift 4
  "$MEL" "$@" >"$D/stdout" 2>"$D/err"
  got=$?
  lines=$(wc -l <"$D/err" | tr -d ' ')
  if [ "$got" -ne "$st" ]; then bad "$what: exit $got, want $st ($(cat "$D/err"))"; return; fi
  if [ "$lines" -ne 1 ]; then bad "$what: $lines lines on stderr"; return; fi
  if [ -n "$out" ] && [ -e "$out" ]; then bad "$what: output $out left behind"; return; fi
  if ls "$D" | grep -q '\.tmp\.'; then bad "$what: temporary file left behind"; return; fi
  ok "$what: exit $got: $(cat "$D/err")"
}
expect 64 "unknown option" "$D/o1.npy" -- -Z "$G/short_wave.wav" "$D/o1.npy"
expect 64 "bad format" "$D/o1.npy" -- -f wav "$G/short_wave.wav" "$D/o1.npy"
expect 64 "too many args" "$D/o1.npy" -- "$G/short_wave.wav" "$D/o1.npy" extra
expect 66 "missing input" "$D/o2.npy" -- "$D/nope.wav" "$D/o2.npy"
grep -q 'nope.wav' "$D/err" || bad "missing input: message does not name the file"
: >"$D/empty.wav"
expect 65 "empty input" "$D/o3.npy" -- "$D/empty.wav" "$D/o3.npy"
grep -q 'empty.wav' "$D/err" || bad "empty input: message does not name the file"
echo "this is not audio" >"$D/text.wav"
expect 65 "not audio" "$D/o4.npy" -- "$D/text.wav" "$D/o4.npy"
head -c 100000 "$G/short_wave.wav" >"$D/cut.wav"
expect 65 "truncated WAV" "$D/o5.npy" -- "$D/cut.wav" "$D/o5.npy"
grep -q 'truncated' "$D/err" || bad "truncated WAV: message does not say so"
expect 65 "empty stdin" "" -- -f npy - -  </dev/null
expect 74 "unwritable output" "" -- "$G/short_wave.wav" "$D/no/such/dir/out.npy"
[ -s "$D/stdout" ] && bad "bad input wrote to stdout"

# binary output to a terminal is refused (needs script(1) for a pty)
if command -v script >/dev/null 2>&1; then
  out=$(script -qec "\"$MEL\" \"$G/short_wave.wav\"; echo rc=\$?" /dev/null 2>&1 | tr -d '\r')
  case $out in
    *"refusing to write"*rc=64*) ok "terminal refused" ;;
    *) bad "terminal output not refused: $out" ;;
  esac
fi

# 7. help and version
"$MEL" --help >"$D/help" 2>&1 && grep -q 'sc|npy' "$D/help" && ok "--help" || bad "--help"
"$MEL" --version >/dev/null 2>&1 && ok "--version" || bad "--version"

[ "$fail" -eq 0 ] && echo "all sc-mel checks passed"
exit "$fail"
