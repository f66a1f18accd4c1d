#!/bin/sh
# scripts/soak.sh - memory over long inputs (issue 8, "Soak"); `make check-soak`.
#
#   scripts/soak.sh [-m MINUTES] [-d DETOK_SECONDS] [-t TOLERANCE_MB] [-j THREADS] [-w WORKDIR]
#
# 1. Makes a 1-minute and a MINUTES-minute (default 60) 16 kHz WAV file
#    (two tones and noise, tests/hardgen) and runs each through
#        sc-mel IN | sc-tokenize --synthetic -r 100 - OUT
#    (the two joined by a FIFO, so each can be watched): peak RSS (VmHWM)
#    of both tools over the whole run, and for the long input also when
#    the first minute of it has been tokenized.
# 2. Decodes the tokens with sc-detok --synthetic --steps 2: the 1-minute
#    tokens completely, the long ones for at most DETOK_SECONDS (default
#    1800; 0 = to the end): peak RSS after the first minute of audio out
#    and at the end of the run.
# Passes when, in the long runs, each tool's peak at the end is within
# TOLERANCE_MB (default 8) of its peak after the first minute of input (for
# sc-detok: of output), and sc-mel's and sc-detok's peaks equal those of
# the 1-minute runs (sc-tokenize's 1-minute run is shown: 6 windows do not
# fill one batch of 8, so it is lower by the activations of 2 windows).  Prints a summary; exit 0 on pass, 1 on a
# failure or a tool error, 64 on a usage error.
#
# Environment as in make check (SC_BINDIR, SC_BUILDDIR, SC_PLUGIN_PATH,
# SC_SYNTH_DIR).  The backend is blas when built, else ref; THREADS (-j,
# default 1) keeps the run to one core so the figures are about memory,
# not speed.  An hour through sc-tokenize takes about an hour of one core.
set -u
minutes=60 detok_secs=1800 tol=8 threads=1 work=soak-work
while getopts m:d:t:j:w: o; do
  case $o in
    m) minutes=$OPTARG ;;
    d) detok_secs=$OPTARG ;;
    t) tol=$OPTARG ;;
    j) threads=$OPTARG ;;
    w) work=$OPTARG ;;
    *) echo "usage: $0 [-m MINUTES] [-d DETOK_SECONDS] [-t TOLERANCE_MB] [-j THREADS] [-w WORKDIR]" >&2
       exit 64 ;;
  esac
done
: "${SC_BINDIR:?run with make check-soak (SC_BINDIR unset)}" "${SC_BUILDDIR:?}"
MEL=$SC_BINDIR/sc-mel TOK=$SC_BINDIR/sc-tokenize DETOK=$SC_BINDIR/sc-detok
GEN=$SC_BUILDDIR/tests/hardgen
BE=ref
[ -e "$SC_BUILDDIR/backends/backend_blas.la" ] && BE=blas
M="--synthetic -r 100 -V 16384 -B $BE -j $threads -q"
mkdir -p "$work" || exit 64
W=$(cd "$work" && pwd)
fail=0
say() { echo "soak: $*"; }

hwm() {  # PID -> VmHWM in kB so far (empty when gone)
  [ -n "$1" ] && sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" 2>/dev/null
}
rss_of() { sed -n 's/^maxrss_kb //p' "$1" 2>/dev/null; }   # hardgen rss output
mb() { awk -v k="${1:-0}" 'BEGIN { printf "%.1f", k / 1024 }'; }
size_of() {  # newest temporary or final file of an output
  for f in "$1".tmp.* "$1"; do [ -f "$f" ] && { wc -c <"$f"; return; }; done
  echo 0
}

# ---------------------------------------------------------------- inputs
for m in 1 "$minutes"; do
  [ -s "$W/in$m.wav" ] && continue
  say "making $m minute(s) of audio"
  "$GEN" wav -t s16 -a 0.3 -f 440 -b 0.2 -g 3001 -n 0.05 $((m * 60)) "$W/in$m.wav.part" &&
    mv "$W/in$m.wav.part" "$W/in$m.wav" || { say "cannot make the input"; exit 1; }
done

# ---------------------------------------------------------------- encode
# 1 minute of tokens at rate 100 is 3000 pairs (50 a second); the sc stream takes 27
# bits a pair and 16 bytes a 512-pair packet after its 40-byte header.
one_min_bytes=$((40 + 3000 * 27 / 8 + 6 * 16))
encode() {  # MINUTES -> sets mel_peak tok_peak mel_1m tok_1m enc_secs
  m=$1
  fifo=$W/mel$m.fifo out=$W/tok$m.sctk
  rm -f "$fifo" "$out" "$out".tmp.* "$W"/*.rss "$W"/*.rss.pid
  mkfifo "$fifo" || exit 1
  t0=$(date +%s)
  # hardgen rss: exact peak RSS (wait4) in FILE, the tool's pid in FILE.pid
  "$GEN" rss "$W/mel$m.rss" "$MEL" -q "$W/in$m.wav" "$fifo" 2>"$W/mel$m.err" &
  pm=$!
  "$GEN" rss "$W/tok$m.rss" "$TOK" $M "$fifo" "$out" 2>"$W/tok$m.err" &
  pt=$!
  mel_1m= tok_1m=
  : >"$W/encode$m.log"
  while kill -0 $pt 2>/dev/null; do
    a=$(hwm "$(cat "$W/mel$m.rss.pid" 2>/dev/null)") b=$(hwm "$(cat "$W/tok$m.rss.pid" 2>/dev/null)")
    s=$(size_of "$out")
    if [ -z "$tok_1m" ] && [ "$s" -ge $one_min_bytes ] && [ -n "$b" ]; then
      mel_1m=${a:-$(rss_of "$W/mel$m.rss")} tok_1m=$b
    fi
    echo "$(($(date +%s) - t0)) s: sc-mel ${a:-exited} kB, sc-tokenize ${b:-exited} kB, tokens $s bytes" \
      >>"$W/encode$m.log"
    sleep 2
  done
  wait $pm; rm=$?
  wait $pt; rt=$?
  enc_secs=$(($(date +%s) - t0))
  mel_peak=$(rss_of "$W/mel$m.rss") tok_peak=$(rss_of "$W/tok$m.rss")
  rm -f "$fifo"
  if [ $rm != 0 ] || [ $rt != 0 ] || [ ! -s "$out" ]; then
    say "encode of $m minute(s) failed (sc-mel $rm, sc-tokenize $rt): $(cat "$W/mel$m.err" "$W/tok$m.err")"
    fail=1
  fi
}

encode 1
p1_mel=$mel_peak p1_tok=$tok_peak t1=$enc_secs
say "1 minute: sc-mel peak $(mb $p1_mel) MB, sc-tokenize peak $(mb $p1_tok) MB ($t1 s)"
encode "$minutes"
pl_mel=$mel_peak pl_tok=$tok_peak tl=$enc_secs
say "$minutes minutes: sc-mel peak $(mb $pl_mel) MB, sc-tokenize peak $(mb $pl_tok) MB ($tl s);" \
    "after the first minute: sc-mel $(mb "$mel_1m") MB, sc-tokenize $(mb "$tok_1m") MB"
say "tokens: $(wc -c <"$W/tok1.sctk") bytes for 1 minute, $(wc -c <"$W/tok$minutes.sctk") bytes for $minutes"

within() {  # NAME A_kB B_kB
  d=$(($2 - $3))
  [ $d -lt 0 ] && d=$((-d))
  if [ $d -le $((tol * 1024)) ]; then
    say "ok: $1 differs by $(mb $d) MB (limit $tol MB)"
  else
    say "FAIL: $1 differs by $(mb $d) MB (limit $tol MB)"
    fail=1
  fi
}
# The criterion: within one long run, the peak after the first minute of
# input equals the peak at the end.  The separate 1-minute run is shown as
# well; sc-tokenize's is lower there because 1 minute is 6 windows, fewer
# than one [acoustic] batch (8), so its activations are smaller.
within "sc-mel peak, end of $minutes min vs after its first minute" "$pl_mel" "${mel_1m:-0}"
within "sc-tokenize peak, end of $minutes min vs after its first minute" "$pl_tok" "${tok_1m:-0}"
within "sc-mel peak, $minutes min vs the 1-minute input" "$pl_mel" "$p1_mel"
d=$((pl_tok - p1_tok))
say "sc-tokenize peak, $minutes min vs the 1-minute input: $(mb $d) MB more (batch of 8 vs 6 windows)"

# ---------------------------------------------------------------- decode
one_min_out=$((16000 * 60 * 4))   # raw float32 samples
decode() {  # MINUTES LIMIT_SECONDS -> sets dec_peak dec_1m dec_secs dec_out dec_done
  m=$1 limit=$2
  out=$W/dec$m.raw
  rm -f "$out" "$out".tmp.* "$W/dec$m.rss" "$W/dec$m.rss.pid"
  t0=$(date +%s)
  "$GEN" rss "$W/dec$m.rss" "$DETOK" $M --steps 2 -f raw "$W/tok$m.sctk" "$out" 2>"$W/dec$m.err" &
  pd=$!
  dec_1m= dec_done=1 last=
  : >"$W/decode$m.log"
  while kill -0 $pd 2>/dev/null; do
    cpid=$(cat "$W/dec$m.rss.pid" 2>/dev/null)
    a=$(hwm "$cpid") s=$(size_of "$out")
    [ -n "$a" ] && last=$a
    [ -z "$dec_1m" ] && [ "$s" -ge $one_min_out ] && dec_1m=$last
    echo "$(($(date +%s) - t0)) s: sc-detok ${a:-exited} kB, audio $s bytes" >>"$W/decode$m.log"
    if [ "$limit" -gt 0 ] && [ $(($(date +%s) - t0)) -ge "$limit" ]; then
      dec_done=0
      dec_out=$s
      kill "$cpid"
      break
    fi
    sleep 5
  done
  wait $pd; rd=$?
  dec_secs=$(($(date +%s) - t0))
  dec_peak=$(rss_of "$W/dec$m.rss")
  if [ $dec_done = 1 ]; then
    dec_out=$(size_of "$out")
    if [ $rd != 0 ]; then say "sc-detok of $m minute(s) failed: $(cat "$W/dec$m.err")"; fail=1; fi
  fi
  rm -f "$out".tmp.*   # a run stopped by the time limit leaves its temporary
}

decode 1 0
d1_peak=$dec_peak
say "sc-detok, 1 minute: peak $(mb $d1_peak) MB, $((dec_out / 64000)) s of audio in $dec_secs s"
decode "$minutes" "$detok_secs"
how="all of it"
[ $dec_done = 1 ] || how="stopped after $dec_secs s (limit -d $detok_secs)"
say "sc-detok, $minutes minutes ($how): $((dec_out / 64000)) s of audio out;" \
    "peak after the first minute out $(mb "$dec_1m") MB, at the end $(mb $dec_peak) MB"
if [ -n "$dec_1m" ]; then
  within "sc-detok peak, end of the long run vs after its first minute out" "$dec_peak" "$dec_1m"
else
  say "FAIL: sc-detok did not get through a minute of audio within -d $detok_secs s"; fail=1
fi
within "sc-detok peak, long run vs the 1-minute tokens" "$dec_peak" "$d1_peak"

[ $fail = 0 ] && say "PASS" || say "FAIL"
exit $fail
