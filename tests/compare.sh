#!/bin/sh
# sc-compare(1) and sc-spectro(1) on signals whose answers are known
# analytically (tests/hardgen writes them as float32 WAV):
#  - a file against itself: every distance 0, SI-SDR inf;
#  - x against 2x (tone + noise, an exact power-of-two scale): SI-SDR inf,
#    every mel value doubles, so mel_distance = 7 log10 2 = 2.107210 and
#    the STFT log term = 2 scales x 2 log10 2 = 1.204120;
#  - a 440 Hz tone of amplitude 0.5 plus a 1000 Hz tone of 0.05 over
#    exactly 1 s (whole periods: the two are orthogonal): SI-SDR =
#    10 log10(0.5^2 / 0.05^2) = 20 dB, also after scaling the whole by 2;
#  - noise and the same noise 37 samples later: --lag finds 37 and then
#    the files are identical; without it they are uncorrelated (SI-SDR
#    far below 0);
#  - different lengths and rates: trimmed / resampled, reported;
#  - sc-spectro: PNG size, axis ticks, labels and colour bar at known
#    pixels, and the brightest row of a 1000 Hz tone lies in
#    mel band 42 of 128 (Slaney scale, 0-8 kHz), i.e. row 170 of 256;
#  - bad input: one line naming the file, sysexits status.
set -u
: "${SC_BINDIR:?run with make check}" "${SC_SCRATCH:?}" "${SC_BUILDDIR:?}"
CMP=$SC_BINDIR/sc-compare
SPEC=$SC_BINDIR/sc-spectro
GEN=$SC_BUILDDIR/tests/hardgen
D=$SC_SCRATCH/compare
rm -rf "$D"
mkdir -p "$D"
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

# get NAME FILE: the value of a "name value" line
get() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
# near NAME FILE WANT TOL: |value - WANT| <= TOL (inf matches inf only)
near() {
  v=$(get "$1" "$2")
  if [ "$3" = inf ]; then
    [ "$v" = inf ] && ok "$4: $1 = inf" || bad "$4: $1 = '$v', expected inf"
    return
  fi
  if awk -v v="$v" -v w="$3" -v t="$4" 'BEGIN { exit !(v != "" && v != "inf" && v != "nan" && (v - w <= t && w - v <= t)) }'; then
    ok "$5: $1 = $v (expected $3 +- $4)"
  else
    bad "$5: $1 = '$v', expected $3 +- $4"
  fi
}

# cmpv NAME FILE OP BOUND LABEL: value OP bound (OP: lt or gt)
cmpv() {
  v=$(get "$1" "$2")
  if awk -v v="$v" -v o="$3" -v b="$4" 'BEGIN { if (v == "" || v == "nan") exit 1;
      if (v == "inf") exit !(o == "gt"); exit !(o == "lt" ? v + 0 < b : v + 0 > b) }'; then
    ok "$5: $1 = $v ($3 $4)"
  else
    bad "$5: $1 = '$v', expected $3 $4"
  fi
}

"$GEN" wav -a 0.5 -f 440 -n 0.1 -S 3 1 "$D/x.wav" &&
  "$GEN" wav -a 1.0 -f 440 -n 0.2 -S 3 1 "$D/x2.wav" &&
  "$GEN" wav -a 0.5 -f 440 1 "$D/s.wav" &&
  "$GEN" wav -a 0.5 -f 440 -b 0.05 -g 1000 1 "$D/se.wav" &&
  "$GEN" wav -a 1.0 -f 440 -b 0.1 -g 1000 1 "$D/se2.wav" &&
  "$GEN" wav -a 0 -n 0.3 -S 5 1 "$D/n.wav" &&
  "$GEN" wav -a 0 -n 0.3 -S 5 -d 37 1 "$D/nd.wav" &&
  "$GEN" wav -a 0.5 -f 440 -n 0.1 -S 3 1.5 "$D/x15.wav" &&
  "$GEN" wav -r 32000 -a 0.5 -f 440 1 "$D/s32k.wav" &&
  "$GEN" wav -a 0.5 -f 1000 2 "$D/tone.wav" &&
  "$GEN" wav -a 0.5 -f 1000 -n 0.05 3 "$D/tone_noise.wav" ||
  { echo "FAIL: cannot make the inputs"; exit 1; }

# ---- sc-compare
"$CMP" "$D/x.wav" "$D/x.wav" >"$D/same" || bad "sc-compare x x failed"
near mel_distance "$D/same" 0 0 "identical"
near stft_distance "$D/same" 0 0 "identical"
near si_sdr_db "$D/same" inf "identical"

"$CMP" "$D/x.wav" "$D/x2.wav" >"$D/scaled" || bad "sc-compare x 2x failed"
near si_sdr_db "$D/scaled" inf "2x copy"
near mel_distance "$D/scaled" 2.107210 0.000002 "2x copy"
near stft_log_distance "$D/scaled" 1.204120 0.000002 "2x copy"

"$CMP" "$D/s.wav" "$D/se.wav" >"$D/noisy" || bad "sc-compare s s+e failed"
near si_sdr_db "$D/noisy" 20 0.001 "tone + orthogonal tone"
"$CMP" "$D/s.wav" "$D/se2.wav" >"$D/noisy2" || bad "sc-compare s 2(s+e) failed"
near si_sdr_db "$D/noisy2" 20 0.001 "2 x (tone + orthogonal tone)"

"$CMP" -l 100 "$D/n.wav" "$D/nd.wav" >"$D/lag" || bad "sc-compare --lag failed"
near lag "$D/lag" 37 0 "delayed noise"
near si_sdr_db "$D/lag" inf "delayed noise, aligned"
near samples "$D/lag" 16000 0 "delayed noise, aligned"
"$CMP" -l 100 "$D/nd.wav" "$D/n.wav" >"$D/lag2" || bad "sc-compare --lag (reversed) failed"
near lag "$D/lag2" -37 0 "noise earlier than the reference"
"$CMP" "$D/n.wav" "$D/nd.wav" >"$D/nolag" || bad "sc-compare without --lag failed"
# uncorrelated: alpha ~ 1/sqrt(n), SI-SDR ~ 10 log10(1/16000) = -42 dB
cmpv si_sdr_db "$D/nolag" lt -20 "delayed noise, not aligned"

"$CMP" "$D/x15.wav" "$D/x.wav" >"$D/len" || bad "sc-compare of different lengths failed"
near samples "$D/len" 16000 0 "1.5 s vs 1 s"
near si_sdr_db "$D/len" inf "1.5 s vs 1 s (same first second)"

"$CMP" "$D/s.wav" "$D/s32k.wav" >"$D/rate" || bad "sc-compare 16 kHz vs 32 kHz failed"
near rate "$D/rate" 16000 0 "32 kHz resampled to 16 kHz"
near samples "$D/rate" 16000 0 "32 kHz resampled to 16 kHz"
cmpv si_sdr_db "$D/rate" gt 40 "32 kHz tone resampled"

rc=0; "$CMP" "$D/x.wav" "$D/missing.wav" >/dev/null 2>"$D/err" || rc=$?
if [ $rc = 66 ] && [ "$(wc -l <"$D/err")" -eq 1 ] && grep -q "missing.wav" "$D/err"; then
  ok "missing file: exit 66, $(cat "$D/err")"
else bad "missing file: exit $rc, $(cat "$D/err")"; fi
printf 'not audio at all\n' >"$D/junk.wav"
rc=0; "$CMP" "$D/junk.wav" "$D/x.wav" >/dev/null 2>"$D/err" || rc=$?
if [ $rc = 65 ] && [ "$(wc -l <"$D/err")" -eq 1 ] && grep -q "junk.wav" "$D/err"; then
  ok "not audio: exit 65, $(cat "$D/err")"
else bad "not audio: exit $rc, $(cat "$D/err")"; fi
rc=0; "$CMP" "$D/x.wav" >/dev/null 2>"$D/err" || rc=$?
[ $rc = 64 ] && ok "one argument: exit 64" || bad "one argument: exit $rc"

# ---- sc-spectro
# relative names: a title's pixels must not depend on where the build is
# (a long absolute path is shortened to "...name", so its first glyph moves)
if (cd "$D" && "$SPEC" tone.wav tone_noise.wav -o two.png) 2>"$D/err"; then
  # panels at x 40, y 12, 14 rows apart; probes: the 1000 Hz tick and the
  # "1" of its label, the 1 s tick, the colour bar's ends, the stem of the
  # "t" that starts the lower panel's title "tone_noise.wav"
  "$GEN" png "$D/two.png" 256 14 40 12 301 2 37,183 37,182 14,180 140,538 141,538 \
    354,12 354,537 41,273 43,273 >"$D/png" || bad "cannot read two.png"
  # 2 s and 3 s at hop 160: 201 and 301 frames; two panels of 256, gap 14,
  # margins 40 + 56 wide, 12 + 18 high
  grep -qx "size 397 556" "$D/png" && ok "two panels: $(head -n 1 "$D/png")" ||
    bad "two panels: $(cat "$D/png")"
  grep -q "^panel 0 peak_row 170 " "$D/png" && grep -q "^panel 1 peak_row 170 " "$D/png" &&
    ok "1000 Hz tone in mel band 42 (row 170) in both panels" ||
    bad "tone rows: $(cat "$D/png")"
  px() { grep -qx "pixel $1 $2" "$D/png" && ok "$3" || bad "$3: $(grep "^pixel $1 " "$D/png")"; }
  px "37 183" "0 0 0" "1000 Hz tick (band 41.8 of 128: row 171)"
  px "37 182" "255 255 255" "nothing beside the 1000 Hz tick"
  px "14 180" "0 0 0" "the 1000 Hz label"
  px "140 538" "0 0 0" "the 1.0 s tick (100 columns of 10 ms)"
  px "141 538" "255 255 255" "nothing beside the 1 s tick"
  px "354 12" "252 253 191" "colour bar top: the loudest colour"
  px "354 537" "0 0 4" "colour bar bottom: the quietest colour"
  px "41 273" "0 0 0" "the lower panel's file name"
  px "43 273" "255 255 255" "the lower panel's file name (background)"
else bad "sc-spectro failed: $(cat "$D/err")"; fi
if "$SPEC" --gray -n 64 -H 128 -W 50 "$D/tone.wav" -o - >"$D/one.png" 2>"$D/err"; then
  "$GEN" png "$D/one.png" 128 14 40 12 41 1 >"$D/png1" || bad "cannot read one.png"
  # 201 frames in at most 50 columns: 5 frames a column, 41 columns;
  # band 21 of 64 (1000 Hz) is rows 84-85 of 128
  grep -qx "size 137 158" "$D/png1" && grep -q "^panel 0 peak_row 8[45] " "$D/png1" &&
    ok "one panel, pooled, to stdout: $(tr '\n' ' ' <"$D/png1")" ||
    bad "one panel: $(cat "$D/png1")"
else bad "sc-spectro to stdout failed: $(cat "$D/err")"; fi
rc=0; "$SPEC" "$D/tone.wav" 2>"$D/err" || rc=$?
[ $rc = 64 ] && ok "no -o: exit 64, $(cat "$D/err")" || bad "no -o: exit $rc"
rc=0; "$SPEC" "$D/junk.wav" -o "$D/junk.png" 2>"$D/err" || rc=$?
if [ $rc = 65 ] && [ ! -e "$D/junk.png" ] && grep -q junk.wav "$D/err"; then
  ok "not audio: exit 65, no image"
else bad "not audio: exit $rc, $(cat "$D/err")"; fi
exit $fail
