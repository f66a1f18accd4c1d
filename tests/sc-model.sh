#!/bin/sh
# sc-model end to end: a synthetic rate-100 model (2.6 GB) is written and
# verified; inspect names the stage of each key; broken model folders (a
# missing file, a truncated checkpoint, encoder and decoder swapped, a
# codebook of the wrong vocabulary or rate) fail verify with a message
# naming the file; fetch downloads from a file:// mirror (atomically, and
# resuming a partial download) and verifies.  Needs about 5 GB of scratch
# space; everything is removed at the end.
set -u
fail() { echo "FAIL: $*"; exit 1; }
model="$SC_BINDIR/sc-model"
D="$SC_SCRATCH/sc-model"
rm -rf "$D"
mkdir -p "$D" || fail "cannot create $D"
M="$D/model"
R=semanticodec_tokenrate_100
C=codebook_idx/combine_512_audioset_dominate

# --- synth -----------------------------------------------------------------
err=$("$model" synth --rate 100 -o "$M" 2>&1) || fail "synth exited $?: $err"
echo "$err"
echo "$err" | grep -q "noise" || fail "synth must say synthetic weights produce noise"
for f in $R/encoder.ckpt $R/decoder.ckpt $C/codebook_2048_0.npy $C/codebook_4096_0.npy \
         $C/codebook_8192_0.npy $C/codebook_16384_0.npy; do
  [ -s "$M/$f" ] || fail "synth did not write $f"
done
ls "$M/$R" | grep -q tmp && fail "temporary files left in $M/$R"
# torch.save layout: archive folder named after the file
head -c 64 "$M/$R/encoder.ckpt" | grep -q "encoder/data.pkl" || fail "encoder.ckpt layout"

# --- verify ----------------------------------------------------------------
out=$("$model" verify "$M" 2>&1) || fail "verify of a good model exited $?: $out"
echo "$out"
echo "$out" | grep -q "rate 100: encoder.ckpt, decoder.ckpt and 4 codebooks OK" || fail "verify output: $out"
"$model" verify "$M" --rate 100 --vocab 8192 -q || fail "verify --rate 100 --vocab 8192"
out=$("$model" verify "$M" --rate 50 2>&1) && fail "verify --rate 50 of a rate-100 folder must fail"
echo "$out" | grep -q "semanticodec_tokenrate_50/encoder.ckpt: missing" || fail "rate 50 message: $out"

# --- inspect ---------------------------------------------------------------
out=$("$model" inspect "$M/$R/encoder.ckpt") || fail "inspect encoder exited $?"
echo "$out" | grep -Eq "^audiomae.model.blocks.0.attn.qkv.weight +float32 +2304x768 +7077888 +semantic$" \
  || fail "inspect: qkv line"
echo "$out" | grep -Eq "^encoder.weight_ih_l0 +float32 +6144x1536 +37748736 +acoustic$" || fail "inspect: LSTM line"
echo "$out" | grep -Eq "^audiomae.model.decoder_blocks.0.attn.qkv.weight .* unused$" || fail "inspect: MAE decoder unused"
echo "$out" | grep -Eq "^quantizer._codebook.embed +float32 +1x8192x768 .* acoustic$" || fail "inspect: codebook"
echo "$out" | grep -q "^# .*encoder.ckpt: zip checkpoint, 291 tensors, 1337292804 bytes" || fail "inspect: summary"
out=$("$model" inspect "$M/$R/decoder.ckpt") || fail "inspect decoder exited $?"
echo "$out" | grep -Eq "^scale_factor +float32 +scalar +4 +decoder$" || fail "inspect: scale_factor"
echo "$out" | grep -Eq "^model_ema.num_updates +int32 +scalar +4 +unused$" || fail "inspect: num_updates"
echo "$out" | grep -Eq "^first_stage_model.vocoder.conv_pre.weight .* vocoder$" || fail "inspect: vocoder"
echo "$out" | grep -Eq "^first_stage_model.decoder.conv_in.weight .* vocoder$" || fail "inspect: VAE decoder"
echo "$out" | grep -Eq "^first_stage_model.encoder.conv_in.weight .* unused$" || fail "inspect: VAE encoder"
echo "$out" | grep -Eq "^model.diffusion_model.out.2.bias .* decoder$" || fail "inspect: UNet"
echo "$out" | grep -q "^# unknown" && fail "inspect: keys of unknown stage"
out=$("$model" inspect "$M/$C/codebook_8192_0.npy") || fail "inspect npy"
echo "$out" | grep -q "float32 16384x768, 50331648 bytes (semantic codebook: rate 100, vocabulary 16384)" \
  || fail "inspect npy: $out"
"$model" inspect "$D/nothere.ckpt" 2>/dev/null; [ $? -eq 66 ] || fail "inspect of a missing file must exit 66"

# --- broken folders (symlinks to the good files, one thing wrong) -------------
broken() {  # broken NAME: a folder B of links to the good model
  B="$D/$1"; rm -rf "$B"; mkdir -p "$B/$R" "$B/$C"
  for f in $R/encoder.ckpt $R/decoder.ckpt $C/codebook_2048_0.npy $C/codebook_4096_0.npy \
           $C/codebook_8192_0.npy $C/codebook_16384_0.npy; do ln -s "$M/$f" "$B/$f"; done
}
expect_fail() {  # expect_fail WHAT PATTERN ARGS...
  what=$1; pat=$2; shift 2
  out=$("$model" verify "$@" 2>&1); rc=$?
  [ $rc -ne 0 ] || fail "$what: verify succeeded"
  echo "$out" | grep -q -- "$pat" || fail "$what: message lacks '$pat': $out"
  echo "$what: $(echo "$out" | head -1)"
}
broken missing; rm "$B/$R/decoder.ckpt"
expect_fail "missing decoder" "$B/$R/decoder.ckpt: missing" "$B"
broken truncated; rm "$B/$R/encoder.ckpt"; head -c 1000000 "$M/$R/encoder.ckpt" > "$B/$R/encoder.ckpt"
expect_fail "truncated encoder" "$B/$R/encoder.ckpt" "$B"
broken swapped; rm "$B/$R/encoder.ckpt"; ln -s "$M/$R/decoder.ckpt" "$B/$R/encoder.ckpt"
expect_fail "decoder as encoder" "$B/$R/encoder.ckpt: is a rate-100 decoder checkpoint, expected the rate-100 encoder" "$B"
broken vocab; rm "$B/$C/codebook_2048_0.npy"; ln -s "$M/$C/codebook_4096_0.npy" "$B/$C/codebook_2048_0.npy"
expect_fail "wrong vocabulary" "codebook_2048_0.npy: 8192 rows, expected 4096" "$B"
expect_fail "wrong vocabulary (--vocab)" "8192 rows, expected 4096" "$B" --rate 100 --vocab 4096
broken garbage; rm "$B/$C/codebook_4096_0.npy"; echo "not an array" > "$B/$C/codebook_4096_0.npy"
expect_fail "garbage codebook" "$B/$C/codebook_4096_0.npy" "$B"
broken rate; mkdir -p "$B/codebook_idx/combine_256_audioset_dominate" "$B/semanticodec_tokenrate_50"
ln -s "$M/$R/encoder.ckpt" "$B/semanticodec_tokenrate_50/encoder.ckpt"
expect_fail "rate-100 encoder in the rate-50 folder" \
  "semanticodec_tokenrate_50/encoder.ckpt: is a rate-100 encoder checkpoint, expected rate 50" "$B" --rate 50
ln -s "$M/$C/codebook_8192_0.npy" "$B/codebook_idx/combine_256_audioset_dominate/codebook_8192_0.npy"
expect_fail "rate-100 codebook for rate 50" "is a rate-100 codebook (width 768), expected rate 50" \
  "$B" --rate 50 --vocab 16384
expect_fail "not a model folder" "no semanticodec_tokenrate" "$D"
"$model" verify "$D/nothere" 2>/dev/null; [ $? -ne 0 ] || fail "verify of a missing folder"
"$model" bogus 2>/dev/null; [ $? -eq 64 ] || fail "unknown command must exit 64"
"$model" synth --rate 75 -o "$D/x" 2>/dev/null; [ $? -ne 0 ] || fail "synth --rate 75 must fail"
"$model" --help | grep -q "^Usage: sc-model" || fail "--help"
"$model" --version | grep -q "^sc-model (sc) " || fail "--version"

# --- fetch from a file:// mirror ------------------------------------------------
F="$D/fetched"
"$model" fetch --rate 100 --vocab 16384 -o "$F" --base-url "file://$M" -q || fail "fetch exited $?"
for f in $R/encoder.ckpt $R/decoder.ckpt $C/codebook_8192_0.npy; do
  cmp -s "$M/$f" "$F/$f" || fail "fetched $f differs"
done
[ -e "$F/$C/codebook_2048_0.npy" ] && fail "fetch --vocab 16384 fetched other vocabularies"
# resume: a partial download is continued, files already there are kept
head -c 3000000 "$M/$C/codebook_2048_0.npy" > "$F/$C/codebook_2048_0.npy.part"
out=$("$model" fetch --rate 100 --vocab 4096 -o "$F" --base-url "file://$M/" -v 2>&1) || fail "resumed fetch: $out"
echo "$out" | grep -q "encoder.ckpt: already there" || fail "fetch must keep files already there: $out"
cmp -s "$M/$C/codebook_2048_0.npy" "$F/$C/codebook_2048_0.npy" || fail "resumed codebook differs"
[ -e "$F/$C/codebook_2048_0.npy.part" ] && fail ".part left after a finished fetch"
# a failed download leaves no final file, and says which URL
out=$("$model" fetch --rate 100 --vocab 8192 -o "$F" --base-url "file://$D/nomirror" 2>&1) && fail "fetch from a missing mirror succeeded"
echo "$out" | grep -q "file://$D/nomirror/codebook_idx/.*codebook_4096_0.npy: download failed" || fail "fetch failure message: $out"
[ -e "$F/$C/codebook_4096_0.npy" ] && fail "failed fetch left a final file"

rm -rf "$D"
echo "1 passed, 0 failed"
