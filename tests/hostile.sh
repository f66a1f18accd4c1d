#!/bin/sh
# Hostile but realistic inputs (issue 12): outputs that are inputs, NaN and
# infinite samples, token headers that disagree with their pairs,
# over-long INI lines, and the small defects of its item 7.  Every case
# must end with one line naming the file and the problem and the
# documented exit status (sysexits: 64 usage, 65 data, 66 no input, 73
# cannot create, 78 config), leave the input untouched and no output.
#
# Nothing here runs a model: each case fails before or while the model is
# set up (synthetic weights), so the whole script takes seconds.
CASE=hostile
. "$SC_SRCDIR/tests/toolcheck.sh"
# same NAME FILE COPY: FILE still equals COPY.
same() { cmp -s "$2" "$3" && ok "$1: input untouched" || bad "$1: input changed"; }

"$GEN" wav -n 0.05 3 "$D/a.wav" && "$MEL" -q "$D/a.wav" "$D/a.mel" &&
  "$GEN" tok -s 48000 152 "$D/t.sc" || { echo "FAIL: cannot make the inputs"; exit 1; }
cp "$D/a.wav" "$D/a.orig" && cp "$D/a.mel" "$D/m.orig" && cp "$D/t.sc" "$D/t.orig"

# ---- 1. an output that is an input (by device and inode, not by name)
SAME='is the same file as the input'
run "$MEL" -q "$D/a.wav" "$D/a.wav"
expect "sc-mel IN IN" 64 "^sc-mel: $D/a.wav: $SAME $D/a.wav: refusing to overwrite it\$"
same "sc-mel IN IN" "$D/a.wav" "$D/a.orig"
ln -s a.wav "$D/sym.wav" && ln "$D/a.wav" "$D/hard.wav"
run "$MEL" -q "$D/a.wav" "$D/sym.wav"
expect "sc-mel IN symlink-to-IN" 64 "$SAME"
run "$MEL" -q "$D/sym.wav" "$D/hard.wav"
expect "sc-mel symlink hard-link" 64 "$SAME"
same "sc-mel through links" "$D/a.wav" "$D/a.orig"
# stdout appended to the input (>> does not truncate it first)
rc=0; $TO "$MEL" -q "$D/a.wav" - >>"$D/a.wav" 2>"$D/err" || rc=$?
expect "sc-mel IN - >>IN" 64 "^sc-mel: <stdout>: $SAME $D/a.wav"
rc=0; $TO "$MEL" -q - - <"$D/a.wav" >>"$D/hard.wav" 2>"$D/err" || rc=$?
expect "sc-mel - - <IN >>hard-link" 64 "^sc-mel: <stdout>: $SAME <stdin>"
same "sc-mel stdout" "$D/a.wav" "$D/a.orig"
run "$MEL" -q "$D/a.wav" /dev/null
[ $rc = 0 ] && ok "sc-mel IN /dev/null still works" || bad "sc-mel IN /dev/null: exit $rc"
run "$TOK" $M "$D/a.mel" "$D/a.mel"
expect "sc-tokenize IN IN" 64 "^sc-tokenize: $D/a.mel: $SAME $D/a.mel"
same "sc-tokenize IN IN" "$D/a.mel" "$D/m.orig"
run "$DETOK" $M --steps 2 "$D/t.sc" "$D/t.sc"
expect "sc-detok IN IN" 64 "^sc-detok: $D/t.sc: $SAME $D/t.sc"
run "$DEC" $M --steps 2 "$D/t.sc" -o "$D/t.sc"
expect "sc-decode IN -o IN" 64 "^sc-decode: $D/t.sc: $SAME $D/t.sc"
ln "$D/t.sc" "$D/t.wav"
run "$DEC" $M --steps 2 "$D/t.sc"
expect "sc-decode IN (IN.wav a hard link of IN)" 64 "^sc-decode: $D/t.wav: $SAME $D/t.sc"
rm -f "$D/t.wav"
mkdir "$D/od" && ln -s ../t.sc "$D/od/t.wav"
run "$DEC" $M --steps 2 "$D/t.sc" -O "$D/od"
expect "sc-decode -O DIR (DIR/NAME.wav a symlink to IN)" 64 "^sc-decode: $D/od/t.wav: $SAME"
rm -rf "$D/od"
same "sc-decode" "$D/t.sc" "$D/t.orig"
cp "$D/a.wav" "$D/e.sc"
run "$ENC" $M "$D/e.sc" -O "$D"
expect "sc-encode e.sc -O . (e.sc is audio)" 64 "^sc-encode: $D/e.sc: $SAME $D/e.sc"
same "sc-encode -O" "$D/e.sc" "$D/a.orig"
run "$ENC" $M "$D/a.wav" -o "$D/hard.wav"
expect "sc-encode IN -o hard-link" 64 "^sc-encode: $D/hard.wav: $SAME $D/a.wav"
cp "$D/a.wav" "$D/b.sc"
run "$ENC" $M "$D/a.wav" "$D/b.sc" -O "$D"
expect "sc-encode a.wav b.sc -O . (a.sc fine, b.sc is the input)" 64 "^sc-encode: $D/b.sc: $SAME"
rm -f "$D/e.sc" "$D/b.sc"
run "$SPECTRO" -q "$D/a.wav" -o "$D/sym.wav"
expect "sc-spectro IN -o symlink-to-IN" 64 "^sc-spectro: $D/sym.wav: $SAME $D/a.wav"
same "all tools" "$D/a.wav" "$D/a.orig"

# ---- 4. NaN and infinite samples, mel values and noise
"$GEN" wav -n 0.05 -N 47999 3 "$D/nan.wav" && "$GEN" wav -r 44100 -I 1000 1 "$D/inf.wav" &&
  "$GEN" mel -N $((131072 + 5 * 128 + 3)) 2 "$D/nan.mel" && "$GEN" noise -N 70000 1 3 "$D/nan.npy" ||
  bad "cannot make the NaN inputs"
run "$MEL" -q "$D/nan.wav" "$D/o.mel"
expect "sc-mel: NaN in the last sample" 65 \
  "^sc-mel: $D/nan.wav: NaN sample at frame 47999 \(counted from 0, at 16000 Hz\)\$" "$D/o.mel"
run "$MEL" -q "$D/inf.wav" "$D/o.mel"
expect "sc-mel: +Inf at 44.1 kHz" 65 \
  "^sc-mel: $D/inf.wav: infinite sample at frame 1000 \(counted from 0, at 44100 Hz\)\$" "$D/o.mel"
run "$ENC" $M "$D/nan.wav" -o "$D/o.sc"
expect "sc-encode: NaN in the last sample" 65 "^sc-encode: $D/nan.wav: NaN sample at frame 47999 " \
  "$D/o.sc"
run "$ENC" $M "$D/inf.wav" -o "$D/o.sc"
expect "sc-encode: +Inf at 44.1 kHz" 65 "^sc-encode: $D/inf.wav: infinite sample at frame 1000 " \
  "$D/o.sc"
run "$TOK" $M "$D/nan.mel" "$D/o.sc"
expect "sc-tokenize: NaN in a mel window" 65 \
  "^sc-tokenize: $D/nan.mel: window 1 \(counted from 0\): NaN value at frame 5, bin 3\$" "$D/o.sc"
run "$DETOK" $M --steps 2 --noise "$D/nan.npy" "$D/t.sc" "$D/o.wav"
expect "sc-detok: NaN in --noise" 65 \
  "^sc-detok: $D/nan.npy: NaN value in window 0, draw 2 \(0 is x_T\), element 4464 " "$D/o.wav"
run "$DEC" $M --steps 2 --noise "$D/nan.npy" "$D/t.sc" -o "$D/o.wav"
expect "sc-decode: NaN in --noise" 65 "^sc-decode: $D/nan.npy: NaN value in window 0" "$D/o.wav"

# ---- 5. a token header whose sample count disagrees with the pairs
# 48000 samples (3 s) make 152, 76 and 38 pairs at rates 100, 50 and 25
# (the official count, sc_frontend_tkeep); one pair fewer is a cut
# stream, one more a wrong header; neither may decode to some length.
HDR="the header's 48000 samples \\(3.00 s\\) make"
for re in 100:152 50:76 25:38; do
  r=${re%:*} e=${re#*:}
  "$GEN" tok -r $r -s 48000 $((e - 1)) "$D/few.sc" && "$GEN" tok -f text -r $r -s 48000 $((e + 1)) "$D/many.txt" ||
    bad "cannot make the rate $r tokens"
  run "$DETOK" $M --steps 2 "$D/few.sc" "$D/o.wav"
  expect "rate $r: $((e - 1)) pairs, header 48000 samples" 65 \
    "^sc-detok: $D/few.sc: truncated: $((e - 1)) token pairs, but $HDR $e\$" "$D/o.wav"
  run "$DETOK" $M --steps 2 "$D/many.txt" "$D/o.wav"
  expect "rate $r: $((e + 1)) pairs, header 48000 samples" 65 \
    "^sc-detok: $D/many.txt: $((e + 1)) token pairs( or more)?, but $HDR only $e " "$D/o.wav"
done
"$GEN" tok -s 0 152 "$D/zero.sc" && "$GEN" tok -s 100 152 "$D/hundred.sc" && "$GEN" tok -s 48000 152 "$D/exact.sc" ||
  bad "cannot make the tokens"
run "$DETOK" $M --steps 2 "$D/zero.sc" "$D/o.wav"
expect "samples=0 over 152 pairs" 65 \
  "^sc-detok: $D/zero.sc: 152 token pairs( or more)?, but the header's 0 samples \(0.00 s\) make only 0 " "$D/o.wav"
run "$DEC" $M --steps 2 "$D/hundred.sc" -o "$D/o.wav"
expect "sc-decode: samples=100 over 152 pairs" 65 \
  "^sc-decode: $D/hundred.sc: 152 token pairs( or more)?, but the header's 100 samples \(0.01 s\) make only 8 " "$D/o.wav"

# ---- 6. INI lines of any length: a long comment never sets anything, a
# long setting is refused by its real line number.
printf '[model]\n# %250s rate = 25\n;%300s\nrate = 33\n' "" x >"$D/long-comment.ini"
run "$MEL" -q -c "$D/long-comment.ini" "$D/a.wav" "$D/o.mel"
expect "sc.ini: long comments, bad value on line 4" 78 \
  "^sc-mel: $D/long-comment.ini:4: bad value '33' for model.rate" "$D/o.mel"
printf '[model]\n\ndir = /%300s\n' d >"$D/long-line.ini"
run "$MEL" -q -c "$D/long-line.ini" "$D/a.wav" "$D/o.mel"
expect "sc.ini: a 307-character setting" 78 \
  "^sc-mel: $D/long-line.ini:3: line too long \\(307 characters" "$D/o.mel"

# ---- 7. the small ones
# sc-encode honours "--": what follows is a file even if it starts with "-"
cp "$D/a.wav" "$D/-e.wav"
rc=0; (cd "$D" && exec $TO "$ENC" $M -o -e.wav -- -e.wav) 2>"$D/err" || rc=$?
expect "sc-encode -o -e.wav -- -e.wav" 64 "^sc-encode: -e.wav: $SAME -e.wav: refusing"
# the tokenizer's own complaint names the input
"$GEN" mel -s 480000 0 "$D/empty.mel" || bad "cannot make empty.mel"
run "$TOK" $M "$D/empty.mel" "$D/o.sc"
expect "sc-tokenize: fewer windows than the sample count needs" 65 \
  "^sc-tokenize: $D/empty.mel: input ended after 0 windows, but its sample count needs 1504 token pairs\$" \
  "$D/o.sc"
# -O DIR that does not exist, or is a file: EX_CANTCREAT
run "$ENC" $M "$D/a.wav" -O "$D/nodir"
expect "sc-encode -O missing" 73 "^sc-encode: $D/nodir: output directory does not exist\$"
run "$DEC" $M "$D/t.sc" -O "$D/nodir"
expect "sc-decode -O missing" 73 "^sc-decode: $D/nodir: output directory does not exist\$"
run "$ENC" $M "$D/a.wav" -O "$D/a.wav"
expect "sc-encode -O FILE" 73 "^sc-encode: $D/a.wav: not a directory\$"
# a token out of range where the file names no vocabulary (npy, a text
# header without vocab=) is checked against the model's, and named
printf '# sc-tokens v1 rate=100\n-3 5\n' >"$D/neg.txt"
run "$DETOK" $M "$D/neg.txt" "$D/o.wav"
expect "negative token, text without vocabulary" 65 \
  "^sc-detok: $D/neg.txt:2: semantic token -3 out of range \\(vocabulary 16384\\)\$" "$D/o.wav"
"$GEN" tok -f npy -V 4096 152 "$D/neg.npy" || bad "cannot make neg.npy"
hl=$(od -An -tu2 -j8 -N2 "$D/neg.npy" | tr -d ' ')
cp "$D/neg.npy" "$D/big.npy"
printf '\371\377\377\377\377\377\377\377' | dd of="$D/neg.npy" bs=1 seek=$((10 + hl + 16 * 5)) conv=notrunc 2>/dev/null
run "$DETOK" $M "$D/neg.npy" "$D/o.wav"
expect "negative token in npy" 65 \
  "^sc-detok: $D/neg.npy: pair 6 \\(counting from 1\\): semantic token -7 out of range \\(vocabulary 16384\\)\$" "$D/o.wav"
run "$DETOK" $M -V 4096 "$D/neg.npy" "$D/o.wav"
expect "negative token in npy, -V 4096" 65 \
  "^sc-detok: $D/neg.npy: pair 6 \\(counting from 1\\): semantic token -7 out of range \\(vocabulary 4096\\)\$" "$D/o.wav"
# 5000 (0x1388) as pair 17's semantic token: fine for 16384, not for -V 4096
printf '\210\023\000\000\000\000\000\000' | dd of="$D/big.npy" bs=1 seek=$((10 + hl + 16 * 16)) conv=notrunc 2>/dev/null
run "$DETOK" $M -V 4096 "$D/big.npy" "$D/o.wav"
expect "token over the vocabulary in npy, -V 4096" 65 \
  "^sc-detok: $D/big.npy: pair 17 \\(counting from 1\\): semantic token 5000 out of range \\(vocabulary 4096\\)\$" "$D/o.wav"
# an acoustic one: the acoustic vocabulary is always 8192
cp "$D/big.npy" "$D/neg2.npy"
printf '\376\377\377\377\377\377\377\377' | dd of="$D/neg2.npy" bs=1 seek=$((10 + hl + 16 * 2 + 8)) conv=notrunc 2>/dev/null
run "$DETOK" $M "$D/neg2.npy" "$D/o.wav"
expect "negative acoustic token in npy" 65 \
  "^sc-detok: $D/neg2.npy: pair 3 \\(counting from 1\\): acoustic token -2 out of range \\(vocabulary 8192\\)\$" "$D/o.wav"
# a model directory that is a file is a missing input
run "$TOK" -q -m "$D/a.wav" "$D/a.mel" "$D/o.sc"
expect "-m FILE" 66 "^sc-tokenize: $D/a.wav: model directory is not a directory\$" "$D/o.sc"
# bad backend options are configuration errors
if [ $BE = blas ]; then
  printf '[backend]\noptions = bogus\n' >"$D/bo.ini"
  run "$TOK" $M -c "$D/bo.ini" "$D/a.mel" "$D/o.sc"
  expect "[backend] options = bogus" 78 "blas backend: unknown option 'bogus'" "$D/o.sc"
  printf '[backend]\noptions = isa=bogus\n' >"$D/isa.ini"
  run "$TOK" $M -c "$D/isa.ini" "$D/a.mel" "$D/o.sc"
  expect "[backend] options = isa=bogus" 78 "blas backend: option isa=bogus: not generic, avx2, avx512 or avx512bf16\$" \
    "$D/o.sc"
else
  echo "skip: blas backend options (no blas backend)"
fi
# a WAV whose data chunk claims 2 GB over 64 kB is truncated
"$GEN" wav -t s16 2 "$D/claim.wav" || bad "cannot make claim.wav"
printf '\000\000\000\200' | dd of="$D/claim.wav" bs=1 seek=40 conv=notrunc 2>/dev/null
run "$MEL" -q "$D/claim.wav" "$D/o.mel"
expect "WAV data chunk of 2 GB in 64 kB" 65 \
  "^sc-mel: $D/claim.wav: truncated WAV: data chunk declares 2147483648 bytes, 64000 present\$" "$D/o.mel"
# (streaming placeholders still mean "unknown length")
printf '\377\377\377\377' | dd of="$D/claim.wav" bs=1 seek=40 conv=notrunc 2>/dev/null
run "$MEL" -q "$D/claim.wav" "$D/o.mel"
[ $rc = 0 ] && ok "WAV data chunk 0xFFFFFFFF (streamed) is read" || bad "streamed WAV: exit $rc: $(cat "$D/err")"

exit $fail
