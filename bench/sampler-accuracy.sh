#!/bin/sh
# bench/sampler-accuracy.sh - how few model evaluations the deterministic
# samplers need (issue 15 item 3; the table in README.md "Sampler
# accuracy").  Opt-in, not in `make bench`: about 3,700 guided UNet
# evaluations and 60 vocoder passes, a few hours of two cores.
#
#   make bench SC_BENCHES=bench/sampler-accuracy.sh
#
# Input: the two decoder windows of ../golden/long_tr100_tokens.npy (14 s
# of real audio, rate 100: windows 0 and 1 hold different content), guidance
# 2 (official), x_T per window from seed 0 (every sampler reads the same
# x_T: sc_noise_fill(seed, window, draw 0)).
#
# Reference: DPM-Solver++ 3M (order 3, multistep) at 200 evaluations,
# confirmed against DDIM eta 0 at 500 and against a second solver family,
# DPM-Solver++ 2M with steps uniform in log-SNR at 200 (the report gives
# their distances to each other; SAMPLER_ACC_REF names the one the table
# is measured against, default the one nearest DDIM at 500).  Then DDIM eta 0, DPM-Solver++ 2M, 3M
# and singlestep order 3 at 5, 8, 10, 15, 20, 25 and 50 model evaluations
# (skip time_uniform, the vendored sample()'s default, lower_order_final).
# Evaluations: a multistep or singlestep DPM-Solver with --steps N evaluates
# the model N times (singlestep order 3 splits N into orders 3,3,...,3 and a
# final 1, 2 or 2,1, which sum to N); DDIM runs the official schedule,
# range(0, 1000, 1000 // S), so S = 14 gives 15 evaluations (S = 15 gives 16).
#
# Each setting is decoded once (sc-detok --latents: latents and audio of
# both windows); existing outputs are kept, so an interrupted run resumes.
# Errors against the reference: max-abs and RMS of the final latent (both
# windows, before 1/scale_factor), and sc-compare's mel_distance of the
# decoded 14 s.  Synthetic weights (the CI model) unless SAMPLER_ACC_MODEL
# names a model directory (the published rate-100 checkpoint, as sc-model
# fetch writes it): synthetic numbers say how the solvers converge on a
# network of the real shape, not how trained audio sounds.  Give each model
# its own SAMPLER_ACC_DIR: existing outputs are reused.
#
# Env: SAMPLER_ACC_DIR (outputs, default tests/scratch/sampler-accuracy),
#      SAMPLER_ACC_JOBS (parallel decodes, default 2, nice 10),
#      SAMPLER_ACC_THREADS (threads per decode, default 1),
#      SAMPLER_ACC_NFE (default "5 8 10 15 20 25 50"),
#      SAMPLER_ACC_REF (the table's reference: 3m-200, 2ml-200 or ddim-500),
#      SAMPLER_ACC_MODEL (model directory, rate 100, vocabulary 16384;
#      default: the synthetic weights),
#      SAMPLER_ACC_REPORT_ONLY=1 (no decoding: the table of what exists).
set -u
: "${SC_BUILDDIR:=.}" "${SC_REFDIR:?run through make bench}"
DETOK=$SC_BUILDDIR/utils/sc-detok
CMPA=$SC_BUILDDIR/utils/sc-compare
NPYCMP=$SC_BUILDDIR/tests/npycmp
for x in "$DETOK" "$CMPA" "$NPYCMP"; do
    [ -x "$x" ] || { echo "sampler-accuracy.sh: $x not built (make && make tests/npycmp)" >&2; exit 1; }
done
TOK=$SC_REFDIR/golden/long_tr100_tokens.npy
D=${SAMPLER_ACC_DIR:-$SC_BUILDDIR/tests/scratch/sampler-accuracy}
J=${SAMPLER_ACC_JOBS:-2}
NFE=${SAMPLER_ACC_NFE:-5 8 10 15 20 25 50}
be=ref
[ -e "$SC_BUILDDIR/backends/backend_blas.la" ] && be=blas
mkdir -p "$D" || exit 1

# sampler options for NAME = KIND-NFE
opts() {
    kind=${1%-*} n=${1##*-}
    case $kind in
    ddim) s=$n; [ "$n" = 15 ] && s=14   # 1000 // 14 = 71: 15 timesteps
          echo "--sampler ddim --eta 0 --steps $s" ;;
    2m) echo "--sampler dpmsolver++ --order 2 --method multistep --skip time_uniform --steps $n" ;;
    3m) echo "--sampler dpmsolver++ --order 3 --method multistep --skip time_uniform --steps $n" ;;
    s3) echo "--sampler dpmsolver++ --order 3 --method singlestep --skip time_uniform --steps $n" ;;
    # beside the grid: the multistep solvers with steps uniform in log-SNR
    2ml) echo "--sampler dpmsolver++ --order 2 --method multistep --skip logSNR --steps $n" ;;
    3ml) echo "--sampler dpmsolver++ --order 3 --method multistep --skip logSNR --steps $n" ;;
    esac
}

# one decode: NAME -> NAME.wav + NAME_lat.npy (skipped when both exist, or
# while another run of this script decodes it: NAME.lock holds its pid)
run_one() {
    name=$1
    [ -s "$D/$name.wav" ] && [ -s "$D/${name}_lat.npy" ] && return 0
    if ! mkdir "$D/$name.lock" 2>/dev/null; then
        kill -0 "$(cat "$D/$name.lock/pid" 2>/dev/null)" 2>/dev/null && return 0
        echo $$ >"$D/$name.lock/pid"   # stale: its run was interrupted
    fi
    echo $$ >"$D/$name.lock/pid"
    # the weights: set -- keeps a model path with spaces in one word
    if [ -n "${SAMPLER_ACC_MODEL:-}" ]; then set -- -m "$SAMPLER_ACC_MODEL"; else set -- --synthetic; fi
    t0=$(date +%s)
    tm=
    [ -x /usr/bin/time ] && tm="/usr/bin/time -f %U -o $D/$name.cpu"
    # shellcheck disable=SC2046,SC2086
    if nice -n 10 $tm "$DETOK" -q "$@" -r 100 -V 16384 -B "$be" -j "${SAMPLER_ACC_THREADS:-1}" --cfg 2 --seed 0 \
        $(opts "$name") --latents "$D/${name}_lat.npy" "$TOK" "$D/$name.wav" 2>"$D/$name.err"; then
        echo "$(date -u +%H:%M:%S) $name done in $(( $(date +%s) - t0 )) s" \
             "($(cat "$D/$name.cpu" 2>/dev/null || echo ?) s user)"
    else
        echo "$(date -u +%H:%M:%S) $name FAILED: $(cat "$D/$name.err")"
    fi
    rm -rf "$D/$name.lock"
}

# xargs runs this script again for each decode
if [ "${1:-}" = --one ]; then
    run_one "$2"
    exit 0
fi
if [ "${SAMPLER_ACC_REPORT_ONLY:-0}" != 1 ]; then
    # most needed first, so that an interrupted run leaves the useful part:
    # the references, DDIM at 50 (the bar to meet), the multistep solvers,
    # singlestep, DDIM, each from the fewest evaluations up, the solvers at
    # the largest count (close to the reference anyway), the 500-step
    # confirmation, and last 2M with logSNR steps (the balanced preset's
    # family) at the grid's counts and between them
    sorted=$(echo $NFE | tr ' ' '\n' | sort -n)
    top=$(echo "$sorted" | tail -n 1)
    list="3m-200 2ml-200 ddim-50"
    for k in 2m3m s3 ddim; do
        for n in $sorted; do
            [ "$n" = "$top" ] && continue
            case $k in 2m3m) list="$list 2m-$n 3m-$n" ;; *) list="$list $k-$n" ;; esac
        done
    done
    list="$list 2m-$top 3m-$top s3-$top ddim-$top"
    list="$list ddim-500"
    for n in $sorted 18 22 30 35 40; do list="$list 2ml-$n"; done
    for name in $list; do echo "$name"; done | xargs -P "$J" -n 1 sh "$0" --one
fi

# ------------------------------------------------------------------ report
lat() { "$NPYCMP" -a 1e30 "$1" "$2" | awk '{ printf "%.3g %.3g", $3, $7 }'; }
mel() { "$CMPA" "$1" "$2" 2>/dev/null | awk '$1 == "mel_distance" { printf "%.4f", $2 }'; }
have() { [ -s "$D/${1}_lat.npy" ] && [ -s "$D/$1.wav" ]; }
refname() {
    case $1 in
    3m-200) echo "DPM-Solver++ 3M, 200 evaluations (time-uniform)" ;;
    2ml-200) echo "DPM-Solver++ 2M, 200 evaluations (logSNR)" ;;
    ddim-500) echo "DDIM eta 0, 500 evaluations" ;;
    esac
}
# the candidate references against each other
echo "references (latent max-abs, RMS; mel_distance):"
best= bestrms=
for a in 3m-200 2ml-200 ddim-500; do
    have $a || { echo "  $(refname $a): missing"; continue; }
    for b in 3m-200 2ml-200 ddim-500; do
        [ "$a" \< "$b" ] && have $b || continue
        set -- $(lat "$D/${a}_lat.npy" "$D/${b}_lat.npy")
        echo "  $(refname $a) vs $(refname $b): $1, $2; $(mel "$D/$a.wav" "$D/$b.wav")"
        if [ "$b" = ddim-500 ] && { [ -z "$best" ] || awk "BEGIN { exit !($2 < $bestrms) }"; }; then
            best=$a bestrms=$2
        fi
    done
done
R=${SAMPLER_ACC_REF:-${best:-3m-200}}
have "$R" || { echo "reference $R missing"; exit 1; }
echo "the table's reference: $(refname "$R")"
echo
echo "| sampler | evaluations | latent max-abs | latent RMS | mel_distance |"
echo "|---|---:|---:|---:|---:|"
for k in ddim 2m 3m s3; do
    case $k in
    ddim) label="DDIM, eta 0" ;; 2m) label="DPM-Solver++ 2M" ;;
    3m) label="DPM-Solver++ 3M" ;; s3) label="DPM-Solver++ singlestep order 3" ;;
    esac
    for n in $NFE; do
        if [ -s "$D/$k-${n}_lat.npy" ] && [ -s "$D/$k-$n.wav" ]; then
            set -- $(lat "$D/$k-${n}_lat.npy" "$D/${R}_lat.npy")
            echo "| $label | $n | $1 | $2 | $(mel "$D/$k-$n.wav" "$D/$R.wav") |"
        else
            echo "| $label | $n | missing | | |"
        fi
    done
done
# settings beside the grid, where decoded (sh sampler-accuracy.sh --one
# 2ml-15, ddim-100, ...)
for name in $(cd "$D" && ls 2ml-*_lat.npy 3ml-*_lat.npy ddim-*_lat.npy 2>/dev/null |
              sed 's/_lat\.npy$//' | sort -t- -k1,1 -k2,2n); do
    n=${name##*-}
    case " $NFE " in *" $n "*) case $name in ddim-*) continue ;; esac ;; esac
    case $name in 2ml-200|ddim-500) continue ;; esac   # the references, above
    f=$D/${name}_lat.npy
    have "$name" || continue
    case $name in
    2ml-*) label="DPM-Solver++ 2M, logSNR" ;; 3ml-*) label="DPM-Solver++ 3M, logSNR" ;;
    *) label="DDIM, eta 0" ;;
    esac
    set -- $(lat "$f" "$D/${R}_lat.npy")
    echo "| $label | $n | $1 | $2 | $(mel "$D/$name.wav" "$D/$R.wav") |"
done
