#!/bin/sh
# bench/sc-mel.sh - wall time of sc-mel on 60 s of 16 kHz audio (the golden
# long clip looped: 960000 samples, 6 windows), whole process, min of
# BENCH_REPEATS runs, against the reference: TIMING.md gives the official
# load_audio() (fbank) as 0.004 s per 10 s clip on 2 threads, i.e. 0.024 s
# for 60 s.  Also times the stdin-pipe path and one thread.
# Run through `make bench` (sets SC_BINDIR, SC_REFDIR, SC_SCRATCH, ...).
set -eu
MEL=${SC_BINDIR:-./utils}/sc-mel
# In the build tree utils/sc-mel is libtool's shell wrapper; time the real
# binary (as installed) instead of a shell start per run.
if [ -x "${SC_BINDIR:-./utils}/.libs/sc-mel" ] && [ -n "${SC_BUILDDIR:-}" ]; then
    MEL=${SC_BINDIR:-./utils}/.libs/sc-mel
    LD_LIBRARY_PATH=$SC_BUILDDIR/libsc/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export LD_LIBRARY_PATH
fi
G=${SC_REFDIR:?}/golden
D=${SC_SCRATCH:-/tmp}/bench-sc-mel
R=${BENCH_REPEATS:-7}
REF_60S=0.024
mkdir -p "$D"
[ -r "$G/long_wave.wav" ] || { echo "sc-mel.sh: $G/long_wave.wav missing" >&2; exit 1; }

# 60 s float WAV: 4 x long_wave (224000 samples) + its first 64000 samples.
le32() {
    printf "\\$(printf %03o $(($1 & 255)))\\$(printf %03o $((($1 >> 8) & 255)))"
    printf "\\$(printf %03o $((($1 >> 16) & 255)))\\$(printf %03o $((($1 >> 24) & 255)))"
}
IN=$D/60s.wav
data=$((960000 * 4))
{
    printf 'RIFF'; le32 $((4 + 24 + 8 + data)); printf 'WAVEfmt '; le32 16
    printf '\003\000\001\000'; le32 16000; le32 64000; printf '\004\000\040\000'
    printf 'data'; le32 $data
    for i in 1 2 3 4; do tail -c 896000 "$G/long_wave.wav"; done
    tail -c 896000 "$G/long_wave.wav" | head -c 256000
} >"$IN"

now() { date +%s%N; }
TIME=
[ -x /usr/bin/time ] && TIME=/usr/bin/time
best() {  # best LABEL CMD...: min wall (and CPU) seconds over R runs
    label=$1
    shift
    min=
    cpu=
    i=0
    while [ $i -lt "$R" ]; do
        t0=$(now)
        if [ -n "$TIME" ]; then
            $TIME -f '%U %S' -o "$D/time" "$@"
            c=$(awk '{ printf "%d", ($1 + $2) * 1000 }' "$D/time")
            if [ -z "$cpu" ] || [ "$c" -lt "$cpu" ]; then cpu=$c; fi
        else
            "$@"
        fi
        t1=$(now)
        dt=$((t1 - t0))
        if [ -z "$min" ] || [ $dt -lt "$min" ]; then min=$dt; fi
        i=$((i + 1))
    done
    s=$(awk -v ns="$min" 'BEGIN { printf "%.4f", ns / 1e9 }')
    awk -v s="$s" -v r="$REF_60S" -v l="$label" -v c="${cpu:-}" 'BEGIN {
        printf "sc-mel %-22s %s s wall for 60 s of audio (%.0fx real time)", l, s, 60 / s
        if (c != "") printf ", CPU %.3f s", c / 1000
        printf "; reference fbank %.3f s: ratio %.2f\n", r, s / r }'
}
"$MEL" -q -f npy "$IN" "$D/60s.npy"   # warm the page cache and check it works
best "file, all threads:" "$MEL" -q -f npy "$IN" "$D/60s.npy"
best "file, 1 thread:" "$MEL" -q -j 1 -f npy "$IN" "$D/60s.npy"
best "sc stream to a pipe:" sh -c "\"$MEL\" -q \"$IN\" - | cat >/dev/null"
best "stdin pipe:" sh -c "cat \"$IN\" | \"$MEL\" -q -f npy - - >/dev/null"
