#!/bin/sh
# Fault injection through the real tools (issue 8, "Faults"): a full disk
# (/dev/full, a file-size limit), the reader of a pipe exiting early, the
# writer of a pipe dying mid-stream, an input file truncated while it is
# being read, and out of memory (ulimit -v).  Every case must end with a
# one-line message naming the input or output and the problem, the
# documented exit status (sysexits: 65 bad data, 71 out of memory, 74 I/O
# error; 141 = SIGPIPE, the quiet death of a filter whose reader left, as
# cat(1) does), no output file and no temporary left behind, and no hang
# (each run is under timeout(1): 124 means it hung).  A run ended by
# SIGTERM or SIGINT removes its temporary output too.
#
# Models are synthetic (generated in memory); the only model computations
# are one sc-tokenize window (reader of its pipe exits early) -- everything
# else fails before or right after the model is set up.
CASE=faults
. "$SC_SRCDIR/tests/toolcheck.sh"

# Inputs: 3 s and 30 s of audio (1 and 3 mel windows), tokens made without
# the model (3 windows at rate 100; t1500 holds the 1504 pairs of 30 s).
"$GEN" wav -n 0.05 3 "$D/a3.wav" && "$GEN" wav -n 0.05 30 "$D/a30.wav" &&
  "$MEL" -q "$D/a3.wav" "$D/a3.mel" && "$MEL" -q "$D/a30.wav" "$D/a30.mel" &&
  "$GEN" tok -s 480000 1504 "$D/t1500.tok" && "$GEN" tok -f text 1500 "$D/t1500.txt" ||
  { echo "FAIL: cannot make the inputs"; exit 1; }
melsize=$(wc -c <"$D/a30.mel")

# ---- 1. a full disk
run sh -c "exec \"$MEL\" -q \"$D/a3.wav\" >/dev/full"
expect "sc-mel to /dev/full" 74 '^sc-mel: <stdout>: write error: No space left on device$'
run sh -c "exec \"$TOK\" $M \"$D/a3.mel\" >/dev/full"
expect "sc-tokenize to /dev/full" 74 '^sc-tokenize: <stdout>: write error: No space left on device$'
run sh -c "exec \"$DETOK\" $M --steps 2 \"$D/t1500.tok\" >/dev/full"
expect "sc-detok to /dev/full" 74 '^sc-detok: <stdout>: write error: No space left on device$'
# A file output that cannot grow (RLIMIT_FSIZE, SIGXFSZ ignored: EFBIG):
# the error names the file and nothing is left under its name.
run sh -c "trap '' XFSZ; ulimit -f 200; exec \"$MEL\" -q \"$D/a30.wav\" \"$D/big.mel\""
expect "sc-mel to a file that cannot grow" 74 "^sc-mel: $D/big.mel: write error: File too large\$" \
  "$D/big.mel"
# A device given as OUT is written in place, never replaced.
run "$MEL" -q "$D/a3.wav" /dev/null
expect "sc-mel OUT=/dev/null" 0 -
[ -c /dev/null ] || bad "/dev/null is no longer a character device"

# ---- 2. the reader of the output exits early
# Default SIGPIPE: the writer dies quietly (141); SIGPIPE ignored (as some
# parents leave it): one line, EX_IOERR.
piped() {  # CMD... | head -c 10; the command's status in $rc
  rc=0
  { $TO "$@" 2>"$D/err"; echo $? >"$D/rc"; } | head -c 10 >/dev/null
  rc=$(cat "$D/rc")
}
piped "$MEL" -q "$D/a30.wav"
expect "sc-mel | head -c 10" 141 -
piped sh -c "trap '' PIPE; exec \"$MEL\" -q \"$D/a30.wav\""
expect "sc-mel | head -c 10, SIGPIPE ignored" 74 '^sc-mel: <stdout>: write error: Broken pipe$'
piped "$TOK" $M "$D/a3.mel"
expect "sc-tokenize | head -c 10" 141 -
# sc-detok writes its WAV header before decoding: a reader that is gone
# already is seen at once (no window is decoded).
gone() {  # CMD... | true
  rc=0
  { $TO "$@" 2>"$D/err"; echo $? >"$D/rc"; } | true
  rc=$(cat "$D/rc")
}
gone "$DETOK" $M --steps 2 "$D/t1500.tok"
expect "sc-detok | (reader gone)" 141 -
gone sh -c "trap '' PIPE; exec \"$DETOK\" $M --steps 2 \"$D/t1500.tok\""
expect "sc-detok | (reader gone), SIGPIPE ignored" 74 '^sc-detok: <stdout>: write error: Broken pipe$'

# ---- 3. the writer of the input pipe dies mid-stream
# A mel stream cut inside window 2 (its writer exited, or was killed).
cut=$((64 + 24 + 524288 + 24 + 1000))
rc=0; head -c $cut "$D/a30.mel" | $TO "$TOK" $M - "$D/o1.tok" 2>"$D/err" || rc=$?
expect "truncated mel stream into sc-tokenize" 65 \
  '^sc-tokenize: <stdin>: truncated mel stream: partial window after 1 window$' "$D/o1.tok"
rc=0
( sh -c "head -c $cut \"$D/a30.mel\"; kill -9 \$\$"; : ) 2>/dev/null | $TO "$TOK" $M - "$D/o2.tok" 2>"$D/err" || rc=$?
expect "mel writer killed (SIGKILL) mid-stream" 65 '^sc-tokenize: <stdin>: truncated mel stream' \
  "$D/o2.tok"
rc=0; head -c 64 "$D/a30.mel" | $TO "$TOK" $M - "$D/o3.tok" 2>"$D/err" || rc=$?
expect "mel stream cut after its header" 65 \
  '^sc-tokenize: <stdin>: truncated mel stream: end packet missing after 0 windows$' "$D/o3.tok"
# Tokens cut inside the first window's worth, so the error comes before
# any decoding: binary (any cut is detected) and text (cut inside a line).
rc=0; head -c 1000 "$D/t1500.tok" | $TO "$DETOK" $M --steps 2 - "$D/o4.wav" 2>"$D/err" || rc=$?
expect "truncated token stream into sc-detok" 65 '^sc-detok: <stdin>: truncated packet after 0 pairs$' \
  "$D/o4.wav"
rc=0
( sh -c "head -c 3003 \"$D/t1500.txt\"; kill -9 \$\$"; : ) 2>/dev/null |
  $TO "$DETOK" $M --steps 2 - "$D/o5.wav" 2>"$D/err" || rc=$?
expect "text tokens, writer killed inside a line" 65 \
  '^sc-detok: <stdin>:[0-9]+: truncated line \(no newline\)$' "$D/o5.wav"

# ---- 4. an input file truncated while it is read
# The tool is stopped once it has the file open and has read past POS, the
# file is cut to SIZE, and the tool continues.  Sets $rc, or
# rc=missed when the tool had finished before it could be caught.
truncate_while_reading() {  # FILE SIZE POS CMD...
  file=$1 size=$2 pos=$3
  shift 3
  rc=0
  rm -f "$D/pid"
  $TO sh -c 'echo $$ >"$0"; exec "$@"' "$D/pid" "$@" 2>"$D/err" &
  bg=$!
  n=0 caught=0
  while [ $n -lt 3000 ] && kill -0 $bg 2>/dev/null; do
    pid=$(cat "$D/pid" 2>/dev/null)
    for fd in /proc/${pid:-none}/fd/*; do
      [ "$(readlink "$fd" 2>/dev/null)" = "$file" ] || continue
      p=$(sed -n 's/^pos:[[:space:]]*//p' "/proc/$pid/fdinfo/${fd##*/}" 2>/dev/null)
      if [ -n "$p" ] && [ "$p" -ge "$pos" ]; then
        kill -STOP "$pid" && truncate -s "$size" "$file" && kill -CONT "$pid" && caught=1
        break 2
      fi
    done
    n=$((n + 1))
    sleep 0.01
  done
  wait $bg || rc=$?
  [ $caught = 1 ] || rc=missed
}
# sc-tokenize reads the mel header, sets up the model (seconds), then the
# windows: it is caught while the model is set up.
cp "$D/a30.mel" "$D/cut.mel"
truncate_while_reading "$D/cut.mel" $((melsize / 2)) 64 "$TOK" $M "$D/cut.mel" "$D/o6.tok"
expect "mel file truncated while sc-tokenize reads it" 65 \
  "^sc-tokenize: $D/cut.mel: truncated mel stream: partial window after 1 window\$" "$D/o6.tok"
# sc-mel reads audio in two passes (about a second for 30 minutes); the
# file is cut during either.  Tried again if sc-mel was too quick.
for try in 1 2 3; do
  "$GEN" wav -t s16 -n 0.1 1800 "$D/long.wav" || bad "cannot make long.wav"
  truncate_while_reading "$D/long.wav" 4000000 65536 "$MEL" -q "$D/long.wav" "$D/o7.mel"
  [ "$rc" = missed ] || break
  rm -f "$D/o7.mel"
done
expect "audio file truncated while sc-mel reads it" "65 74" \
  "^sc-mel: $D/long.wav: .*(truncated|shrank)" "$D/o7.mel"
rm -f "$D/long.wav"

# ---- 5. out of memory on a large allocation
# (Not under AddressSanitizer, which needs terabytes of address space for
# its shadow memory: .ci/sanitize.sh sets SC_SANITIZE.)
if [ -n "${SC_SANITIZE:-}" ]; then
  echo "skip: out-of-memory cases (ulimit -v) under a sanitizer build"
  exit $fail
fi
# A pipe is spooled to a temporary file, not to memory: a pipe larger than
# sc-mel's whole address space still gives the mel of the same file.
# The limit is the smallest that runs sc-mel at all on a short file.
lim=
for l in 40000 60000 100000 200000; do
  if (ulimit -v $l && "$MEL" -q "$D/a3.wav" /dev/null) 2>/dev/null; then lim=$l; break; fi
done
if [ -n "$lim" ]; then
  secs=$((lim * 1024 / 64000 + 20))
  rc=0
  "$GEN" wav -n 0.1 $secs - | (ulimit -v $lim; exec $TO "$MEL" -q - "$D/o8.mel") 2>"$D/err" || rc=$?
  if [ $rc -ne 0 ]; then
    bad "sc-mel: pipe larger than memory (ulimit -v $lim): exit $rc: $(cat "$D/err")"
  elif "$GEN" wav -n 0.1 $secs "$D/big.wav" && "$MEL" -q "$D/big.wav" "$D/o8f.mel" &&
       cmp -s "$D/o8.mel" "$D/o8f.mel"; then
    ok "sc-mel: pipe larger than memory (ulimit -v $lim) = the file's mel"
  else
    bad "sc-mel: pipe larger than memory: not the file's mel"
  fi
  rm -f "$D/big.wav" "$D/o8.mel" "$D/o8f.mel"
else
  bad "sc-mel does not run under ulimit -v 200000"
fi
# The models need hundreds of MB: each tool must say so and exit 71.
# (The synthetic loader reports every tensor it could not allocate; only
# the first line is checked.)
for t in tokenize detok; do
  rc=0
  if [ $t = tokenize ]; then
    (ulimit -v 400000; exec $TO "$TOK" $M "$D/a3.mel" "$D/o9.tok") 2>"$D/err" || rc=$?
    out=$D/o9.tok
  else
    (ulimit -v 400000; exec $TO "$DETOK" $M --steps 2 "$D/t1500.tok" "$D/o9.wav") 2>"$D/err" || rc=$?
    out=$D/o9.wav
  fi
  head -n 1 "$D/err" >"$D/err1" && mv "$D/err1" "$D/err"
  expect "sc-$t models under ulimit -v 400000" 71 'cannot allocate [0-9]+ bytes' "$out"
done

# ---- interrupted: SIGTERM or SIGINT while the output file is open
# sc-detok creates its file output before the model loads; the signal must
# remove OUT.tmp.XXXXXX and end the tool by that signal (143, 130).
for sig in TERM INT; do
  out=$D/o10$sig.wav rc=0
  # (a background job starts with SIGINT ignored; env gives it back)
  env --default-signal=INT $TO "$DETOK" $M --steps 50 "$D/t1500.tok" "$out" 2>"$D/err" &
  bg=$!
  n=0
  while [ $n -lt 1000 ] && ! ls "$out".tmp.* >/dev/null 2>&1; do n=$((n + 1)); sleep 0.01; done
  # timeout(1) passes TERM and INT on to the tool it runs
  kill -$sig $bg
  wait $bg || rc=$?
  if [ $sig = TERM ]; then want=143; else want=130; fi
  expect "sc-detok killed by SIG$sig with its output open" $want - "$out"
done

exit $fail
