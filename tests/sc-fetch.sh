#!/bin/sh
# sc-model fetch without the network: with no curl it says to install
# curl and creates nothing; it announces the total and each file's size
# before downloading; on a terminal (a run under script(1)) it shows a
# progress line; a failed download leaves no empty folders behind.  A fake
# curl ($SC_CURL) stands in for the real one.  Also the messages of verify
# and inspect when given no folder, a missing folder or a folder.
set -u
fail() { echo "FAIL: $*"; exit 1; }
model="$SC_BINDIR/sc-model"
D="$SC_SCRATCH/sc-fetch"
rm -rf "$D"; mkdir -p "$D/bin" "$D/nocurl" || fail "cannot create $D"
unset SC_MODEL_DIR SC_CURL
# the libtool wrapper of an uninstalled build runs ls and sed
for c in ls sed; do ln -s "$(command -v $c)" "$D/nocurl/$c"; done

# --- no curl --------------------------------------------------------------------
out=$(PATH="$D/nocurl" "$model" fetch --rate 100 --vocab 4096 -o "$D/m" 2>&1); rc=$?
[ $rc -eq 69 ] || fail "fetch without curl: exit $rc, want 69 (EX_UNAVAILABLE): $out"
echo "$out" | grep -q "curl not found: install curl" || fail "fetch without curl: $out"
[ -e "$D/m" ] && fail "fetch without curl created $D/m"

# --- a fake curl: logs its URL, then fails, or writes slowly -----------------------
cat > "$D/bin/curl" <<'EOS'
#!/bin/sh
out=; url=
while [ $# -gt 0 ]; do
  case $1 in -o) out=$2; shift ;; --) url=$2; shift ;; esac
  shift
done
echo "$url" >> "$FAKE_LOG"
case $FAKE_MODE in
fail) echo "curl: (22) The requested URL returned error: 404" >&2; exit 22 ;;
slow) case $url in
      *encoder.ckpt) for i in 1 2 3 4 5; do head -c 1000000 /dev/zero >> "$out"; sleep 0.3; done ;;
      *) printf 'x' > "$out" ;;
      esac ;;
esac
EOS
chmod +x "$D/bin/curl"
export SC_CURL="$D/bin/curl" FAKE_LOG="$D/log"

# a failed first download: the error names the URL, and the folders the
# fetch created are gone again (nothing to resume in them)
out=$(FAKE_MODE=fail "$model" fetch --rate 100 --vocab 4096 -o "$D/new/m" --base-url http://mirror.invalid 2>&1); rc=$?
[ $rc -eq 74 ] || fail "failed fetch: exit $rc, want 74: $out"
echo "$out" | grep -q "http://mirror.invalid/semanticodec_tokenrate_100/encoder.ckpt: download failed (curl exit status 22)" \
  || fail "failed fetch message: $out"
[ -e "$D/new" ] && fail "a failed fetch left empty folders: $(find "$D/new")"
# ... but a folder that was there before stays
mkdir "$D/old"
FAKE_MODE=fail "$model" fetch --rate 100 --vocab 4096 -o "$D/old" --base-url http://mirror.invalid 2>/dev/null
[ -d "$D/old" ] || fail "a failed fetch removed a folder it did not create"
[ -z "$(ls -A "$D/old")" ] || fail "a failed fetch left something in $D/old: $(ls -A "$D/old")"

# sizes before downloading (sizes from the manifests: 334323201 and
# 260735941 float32 elements, 4096x768 float32 + the .npy header)
rm -f "$D/log"
out=$(FAKE_MODE=slow "$model" fetch --rate 100 --vocab 4096 -o "$D/m" --no-verify 2>&1) || fail "fetch: $out"
echo "$out"
echo "$out" | grep -q "^sc-model: 3 files, about 2.39 GB, to download into $D/m$" || fail "total size: $out"
echo "$out" | grep -q "^sc-model: fetching https://huggingface.co/.*/semanticodec_tokenrate_100/encoder.ckpt (1.34 GB)$" \
  || fail "encoder size: $out"
echo "$out" | grep -q "decoder.ckpt (1.04 GB)$" || fail "decoder size: $out"
echo "$out" | grep -q "combine_512_audioset_dominate/codebook_2048_0.npy (13 MB)$" || fail "codebook size: $out"
echo "$out" | grep -q "%" && fail "progress line without a terminal: $out"
[ "$(wc -l < "$D/log")" -eq 3 ] || fail "fake curl ran $(wc -l < "$D/log") times, want 3"
[ "$(wc -c < "$D/m/semanticodec_tokenrate_100/encoder.ckpt")" -eq 5000000 ] || fail "encoder.ckpt not renamed into place"
out=$(FAKE_MODE=slow "$model" fetch --rate 100 --vocab 4096 -o "$D/m" --no-verify 2>&1) || fail "second fetch: $out"
[ -z "$out" ] || fail "nothing left to fetch, yet: $out"

# progress on a terminal
if command -v script >/dev/null; then
  rm -rf "$D/m"
  script -qec "FAKE_MODE=slow '$model' fetch --rate 100 --vocab 4096 -o '$D/m' --no-verify" "$D/typescript" \
    > /dev/null 2>&1 || fail "fetch under script: $(cat "$D/typescript")"
  tr '\r' '\n' < "$D/typescript" | grep -Eq "^sc-model: encoder\.ckpt +[0-9]+% [0-9]+ MB of 1\.34 GB, [0-9.]+ [kM]?B/s" \
    || fail "no progress line on a terminal: $(tr '\r' '\n' < "$D/typescript" | cat -v)"
  echo "progress: $(tr '\r' '\n' < "$D/typescript" | grep -a '%' | tail -1 | cat -v)"
else
  echo "(script(1) absent: progress on a terminal not checked)"
fi

# --- verify and inspect messages ---------------------------------------------------
out=$("$model" verify 2>&1); rc=$?
[ $rc -eq 64 ] || fail "verify with no folder: exit $rc, want 64"
echo "$out" | grep -q "verify: no model directory: give DIR (or -m DIR" || fail "verify with no folder: $out"
out=$("$model" verify "$D/nothere" 2>&1); rc=$?
[ $rc -eq 66 ] || fail "verify of a missing folder: exit $rc, want 66"
echo "$out" | grep -q "$D/nothere: no such directory" || fail "verify of a missing folder: $out"
out=$("$model" inspect "$D" 2>&1); rc=$?
[ $rc -eq 64 ] || fail "inspect of a folder: exit $rc, want 64"
echo "$out" | grep -q "$D: is a directory; .*sc-model verify $D checks a model directory" || fail "inspect of a folder: $out"

rm -rf "$D"
echo "1 passed, 0 failed"
