#!/bin/sh
# sc-tokenize and sc-encode, the real tools, on the parity kit's clips with
# the synthetic weights the goldens were made with (rate 100, vocab 16384):
#  - sc-encode -f npy equals the official encode() output (golden
#    *_tr100_tokens.npy), up to the near-tie tokens the kit lists;
#  - `sc-mel | sc-tokenize` over a pipe equals sc-encode, in every form;
#  - several files in one sc-encode (windows of different files batched
#    through the LSTM) equal one file at a time;
#  - text and sc forms carry the same tokens;
#  - bad input: corrupt or truncated mel stream, unpublished rate or
#    vocabulary, missing model file, unwritable output: one-line error,
#    non-zero exit status, no output file left behind.
set -u
fail() { echo "FAIL: $*"; exit 1; }
B="$SC_BINDIR"
G="$SC_REFDIR/golden"
T="$SC_SCRATCH/sc-tokenize"
rm -rf "$T"; mkdir -p "$T" || fail "mkdir $T"
for f in short_wave.wav long_wave.wav short_tr100_tokens.npy long_tr100_tokens.npy; do
  [ -r "$G/$f" ] || fail "parity kit file missing: $G/$f"
done
# the fastest CPU backend built (blas once it exists)
be=ref
[ -r "$SC_BUILDDIR/backends/.libs/backend_blas.so" ] && be=blas
common="--synthetic -r 100 -V 16384 -B $be -q"
enc="$B/sc-encode"; tok="$B/sc-tokenize"; mel="$B/sc-mel"

# Count the int64 values that differ between two npy token files with the
# same header (128 bytes for these lengths).
ndiff() {
  od -An -v -t d8 -j 128 "$1" | tr -s ' ' '\n' | grep -v '^$' > "$T/a.txt"
  od -An -v -t d8 -j 128 "$2" | tr -s ' ' '\n' | grep -v '^$' > "$T/b.txt"
  [ "$(wc -l < "$T/a.txt")" -eq "$(wc -l < "$T/b.txt")" ] || { echo 999999; return; }
  paste "$T/a.txt" "$T/b.txt" | awk '$1 != $2 { n++ } END { print n + 0 }'
}

# 1. audio -> tokens equals encode() (short: 1 window, cut-off 165)
"$enc" $common -f npy "$G/short_wave.wav" -o "$T/short.npy" || fail "sc-encode short_wave.wav"
cmp -s -n 128 "$T/short.npy" "$G/short_tr100_tokens.npy" || fail "npy header differs from encode()'s"
d=$(ndiff "$T/short.npy" "$G/short_tr100_tokens.npy")
# the kit lists 2 semantic and 2 acoustic near ties for this clip
[ "$d" -le 4 ] || fail "short clip: $d token values differ from the golden encode()"
echo "short clip: tokens equal to encode() ($d near-tie values differ)"

# 2. the pipe equals sc-encode, in every form
for f in npy sc text; do
  "$mel" -q "$G/short_wave.wav" | "$tok" $common -f $f > "$T/pipe.$f" || fail "sc-mel | sc-tokenize -f $f"
  "$enc" $common -f $f "$G/short_wave.wav" > "$T/enc.$f" || fail "sc-encode -f $f"
  cmp "$T/pipe.$f" "$T/enc.$f" || fail "-f $f: sc-mel | sc-tokenize differs from sc-encode"
done
cmp "$T/pipe.npy" "$T/short.npy" || fail "stdout and -o outputs differ"
# the sc form: 168 pairs at 27 bits, 40 + 16 + 567 + 16 bytes
[ "$(wc -c < "$T/pipe.sc")" -eq 639 ] || fail "sc form size $(wc -c < "$T/pipe.sc"), want 639"
head -1 "$T/pipe.text" | grep -q '^# sc-tokens v1 rate=100 vocab=16384 acoustic_vocab=8192 samples=52800 flags=1$' \
  || fail "text header: $(head -1 "$T/pipe.text")"
[ "$(grep -vc '^#' "$T/pipe.text")" -eq 168 ] || fail "text form: not 168 pairs"
# text pairs = npy values
od -An -v -t d8 -j 128 "$T/pipe.npy" | tr -s ' ' '\n' | grep -v '^$' | paste -d' ' - - > "$T/npy.pairs"
grep -v '^#' "$T/pipe.text" | cmp -s - "$T/npy.pairs" || fail "text and npy forms differ"
# a mel file works as well as a pipe
"$mel" -q "$G/short_wave.wav" "$T/short.mel" || fail "sc-mel to a file"
"$tok" $common -f npy "$T/short.mel" "$T/file.npy" || fail "sc-tokenize FILE OUT"
cmp "$T/file.npy" "$T/short.npy" || fail "sc-tokenize from a file differs"
echo "pipe, file and sc-encode agree in the sc, text and npy forms"

# 3. several files in one process (batch 2: windows of both files share
#    LSTM batches) equal one file at a time, and the golden long clip
printf '[acoustic]\nbatch = 2\n' > "$T/b2.ini"
mkdir -p "$T/out"
echo "$G/long_wave.wav" | "$enc" $common -c "$T/b2.ini" -f npy "$G/short_wave.wav" -@ -O "$T/out" \
  || fail "sc-encode of two files"
cmp "$T/out/short_wave.npy" "$T/short.npy" || fail "short clip differs when batched with another file"
d=$(ndiff "$T/out/long_wave.npy" "$G/long_tr100_tokens.npy")
[ "$d" -le 2 ] || fail "long clip: $d token values differ from the golden encode()"
"$enc" $common -f npy "$G/long_wave.wav" -o "$T/long1.npy" || fail "sc-encode long_wave.wav"
cmp "$T/out/long_wave.npy" "$T/long1.npy" || fail "long clip differs when batched with another file"
echo "two files batched together equal one at a time; long clip equal to encode() ($d near-tie values differ)"

# 4. bad input
expect_fail() {   # expect_fail WANT_RC WANT_TEXT OUTPUT_THAT_MUST_NOT_EXIST cmd...
  want=$1; text=$2; out=$3; shift 3
  msg=$("$@" 2>&1 >/dev/null); rc=$?
  [ $rc -ne 0 ] || fail "$*: succeeded"
  [ "$want" = any ] || [ $rc -eq "$want" ] || fail "$*: exit $rc, want $want ($msg)"
  [ "$(printf '%s\n' "$msg" | wc -l)" -eq 1 ] || fail "$*: not one line: $msg"
  printf '%s\n' "$msg" | grep -q -- "$text" || fail "$*: message lacks '$text': $msg"
  [ -z "$out" ] || [ ! -e "$out" ] || fail "$*: left $out behind"
  ls "$T" | grep -q '\.tmp\.' && fail "$*: left a temporary file"
  echo "ok: $msg"
}
# corrupt: one byte of the window payload flipped (CRC mismatch)
size=$(wc -c < "$T/short.mel")
{ head -c 5000 "$T/short.mel"; printf 'X'; tail -c $((size - 5001)) "$T/short.mel"; } > "$T/corrupt.mel"
expect_fail 65 "CRC" "$T/x.npy" "$tok" $common -f npy "$T/corrupt.mel" "$T/x.npy"
# truncated in the middle of the window
head -c 100000 "$T/short.mel" > "$T/trunc.mel"
expect_fail 65 "truncated" "$T/x.npy" "$tok" $common -f npy "$T/trunc.mel" "$T/x.npy"
# over a pipe too
expect_fail 65 "truncated" "" sh -c "head -c 100000 '$T/short.mel' | '$tok' $common -f npy > /dev/null"
# not a mel stream
expect_fail 65 "" "$T/x.npy" "$tok" $common -f npy "$G/short_wave.wav" "$T/x.npy"
# unpublished rate / vocabulary
expect_fail any "42" "$T/x.npy" "$tok" --synthetic -q -r 42 -f npy "$T/short.mel" "$T/x.npy"
expect_fail any "1000" "$T/x.npy" "$tok" --synthetic -q -V 1000 -f npy "$T/short.mel" "$T/x.npy"
expect_fail any "42" "$T/x.npy" "$enc" --synthetic -q -r 42 -f npy "$G/short_wave.wav" -o "$T/x.npy"
# missing model file: named, with the way to make one
mkdir -p "$T/empty-model"
expect_fail 66 "sc-model synth" "$T/x.npy" "$tok" -q -m "$T/empty-model" -B $be -f npy "$T/short.mel" "$T/x.npy"
expect_fail 66 "empty-model/semanticodec_tokenrate_100/encoder.ckpt" "$T/x.npy" \
  "$enc" -q -m "$T/empty-model" -B $be -f npy "$G/short_wave.wav" -o "$T/x.npy"
# unwritable output
expect_fail any "/nonexistent-dir/x.sc" "" "$tok" $common "$T/short.mel" /nonexistent-dir/x.sc
expect_fail any "/nonexistent-dir" "" "$enc" $common "$G/short_wave.wav" -O /nonexistent-dir
# bad options
expect_fail 64 "format" "" "$tok" $common -f wav "$T/short.mel"
expect_fail 64 "-O" "" "$enc" $common "$G/short_wave.wav" "$G/long_wave.wav"
# a missing input among several: reported, the others still written
rm -rf "$T/out2"; mkdir -p "$T/out2"
msg=$("$enc" $common -f npy "$T/missing.wav" "$G/short_wave.wav" -O "$T/out2" 2>&1); rc=$?
[ $rc -ne 0 ] || fail "missing input: exit 0"
echo "$msg" | grep -q "missing.wav" || fail "missing input not named: $msg"
cmp "$T/out2/short_wave.npy" "$T/short.npy" || fail "the good input was not encoded"
[ ! -e "$T/out2/missing.npy" ] || fail "output for a missing input"
echo "ok: $msg"
echo "all passed"
