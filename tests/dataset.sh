#!/bin/sh
# scripts/sc-tokenize-tree on localhost with GNU parallel (doc/DATASETS.md):
# a small tree (nested folders, a space in a name, an upper-case
# extension, a file that is not audio, a file that is not wanted), a run
# killed with SIGKILL after its first file, a stale partial output and a
# leftover temporary planted where a file is still to do, then a second
# run that must skip what was done, redo the rest, report the bad file,
# and leave a manifest whose counts match the token files' own end
# packets; then a third run with nothing to do, the shard split and the
# manifest merge.  Synthetic model, one thread per tool, two files at a time.
set -u
: "${SC_BINDIR:?run with make check}" "${SC_SCRATCH:?}" "${SC_BUILDDIR:?}" "${SC_SRCDIR:?}"
TREE=$SC_SRCDIR/scripts/sc-tokenize-tree
GEN=$SC_BUILDDIR/tests/hardgen
D=$SC_SCRATCH/dataset
rm -rf "$D"
mkdir -p "$D"
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
command -v parallel >/dev/null 2>&1 || { echo "FAIL: GNU parallel is not installed"; exit 1; }
command -v setsid >/dev/null 2>&1 || { echo "FAIL: setsid (util-linux) is not installed"; exit 1; }
BE=ref
[ -e "$SC_BUILDDIR/backends/backend_blas.la" ] && BE=blas
TOOLOPTS="--synthetic -B $BE -r 100"

S=$D/src O=$D/out
mkdir -p "$S/a/b" "$S/c" || exit 1
"$GEN" wav -a 0.3 -n 0.05 0.5 "$S/a/one.wav" &&
  "$GEN" wav -r 22050 -a 0.3 -n 0.05 1.25 "$S/a/b/two three.wav" &&
  "$GEN" wav -a 0.3 -f 220 0.75 "$S/c/four.WAV" || { echo "FAIL: cannot make the tree"; exit 1; }
printf 'not audio\n' >"$S/c/junk.wav"
printf 'notes\n' >"$S/c/notes.txt"
ALL="a/b/two three.wav
a/one.wav
c/four.WAV
c/junk.wav"

# ---- the work list and its shards (dry runs)
"$TREE" -n "$S" "$O" >"$D/list" 2>/dev/null
[ "$(cat "$D/list")" = "$ALL" ] && ok "work list: 4 audio files, sorted, notes.txt left out" ||
  bad "work list: $(cat "$D/list")"
"$TREE" -n --shard 0/2 "$S" "$O" >"$D/s0" 2>/dev/null
"$TREE" -n --shard 1/2 "$S" "$O" >"$D/s1" 2>/dev/null
if [ "$(sort "$D/s0" "$D/s1")" = "$ALL" ] && [ "$(wc -l <"$D/s0")" = 2 ]; then
  ok "shards 0/2 and 1/2 split the list"
else bad "shards: $(cat "$D/s0") / $(cat "$D/s1")"; fi

# ---- run 1, killed (SIGKILL to its whole session) after a file
# (one file at a time, so the kill lands while the second is under way)
setsid "$TREE" -P 1 "$S" "$O" $TOOLOPTS >"$D/run1.out" 2>"$D/run1.err" &
pid=$!
n=0
while [ $n -lt 1200 ] && kill -0 $pid 2>/dev/null; do
  [ -s "$O/manifest.tsv" ] && grep -q wav "$O/manifest.tsv" && break
  sleep 0.5
  n=$((n + 1))
done
# the whole session: GNU parallel starts each job in a process group of
# its own, and a job that outlived the kill would race the resumed run
# for the same output (seen: run 2's temporary removed by run 1's job)
pkill -KILL -s $pid 2>/dev/null || kill -KILL -$pid 2>/dev/null
wait $pid 2>/dev/null
n=0
while [ $n -lt 100 ] && pgrep -s $pid >/dev/null 2>&1; do sleep 0.1; n=$((n + 1)); done
done1=$(cut -f 1 "$O/manifest.tsv" 2>/dev/null | sort)
[ -n "$done1" ] && ok "run 1 killed after: $(echo $done1)" || bad "run 1 finished nothing before the kill"
# keep the identity of what was done; plant debris where work remains
ls -li "$O/a/one.wav.sctk" "$O/c/four.WAV.sctk" 2>/dev/null >"$D/before"
if ! grep -q "^c/four.WAV	" "$O/manifest.tsv"; then
  mkdir -p "$O/c"
  printf 'SCTK partial' >"$O/c/four.WAV.sctk"
  printf 'x' >"$O/c/four.WAV.sctk.tmp.AbC123"
  planted=1
else planted=0; fi
printf 'a/b/two three.wav\t0.5' >>"$O/manifest.tsv"   # a torn last line
ndone=$(echo "$done1" | grep -c .)

# ---- run 2: resumes
rc=0; "$TREE" -P 2 "$S" "$O" $TOOLOPTS >"$D/run2.out" 2>"$D/run2.err" || rc=$?
[ $rc = 1 ] && ok "run 2: exit 1 (one bad file)" || bad "run 2: exit $rc: $(cat "$D/run2.err")"
grep -q "dropping 1 torn line" "$D/run2.err" && ok "torn manifest line dropped" ||
  bad "torn line not reported: $(cat "$D/run2.err")"
grep -q "c/junk.wav: failed (sc-mel 65, sc-tokenize 65): sc-mel: .*junk.wav: not a readable audio file" "$D/run2.err" &&
  ok "bad file named: $(grep 'junk.wav' "$D/run2.err" | head -n 1)" ||
  bad "bad file not reported: $(cat "$D/run2.err")"
grep -q "; $ndone done, " "$D/run2.err" && ok "run 2 skipped the $ndone file(s) done before" ||
  bad "run 2 did not skip: $(head -n 1 "$D/run2.err")"
# files done in run 1 were not rewritten (same inode and time)
ls -li "$O/a/one.wav.sctk" "$O/c/four.WAV.sctk" 2>/dev/null >"$D/after"
echo "$done1" | while IFS= read -r f; do
  case $f in a/one.wav|c/four.WAV)
    b=$(grep " $O/$f.sctk\$" "$D/before") a=$(grep " $O/$f.sctk\$" "$D/after")
    [ -n "$b" ] && [ "$b" = "$a" ] && echo "ok: $f kept from run 1" || echo "FAIL: $f rewritten: $b / $a" ;;
  esac
done >"$D/kept"
cat "$D/kept"
grep -q FAIL "$D/kept" && fail=1
if [ "$planted" = 1 ]; then
  [ ! -e "$O/c/four.WAV.sctk.tmp.AbC123" ] && ok "leftover temporary removed" || bad "leftover temporary kept"
fi
[ ! -e "$O/c/junk.wav.sctk" ] && ok "no output for the bad file" || bad "output for the bad file"
ls "$O"/*/*.tmp.* "$O"/*/*/*.tmp.* >/dev/null 2>&1 && bad "temporaries left: $(ls "$O"/*/*.tmp.* "$O"/*/*/*.tmp.*)"

# ---- the manifest: one well-formed line per good file, counts = streams
m=$O/manifest.tsv
[ "$(cut -f 1 "$m" | sort)" = "$(printf 'a/b/two three.wav\na/one.wav\nc/four.WAV')" ] &&
  ok "manifest lists the 3 good files once each" || bad "manifest: $(cat "$m")"
while IFS="$(printf '\t')" read -r path dur count; do
  f=$O/$path.sctk
  size=$(wc -c <"$f")
  # the end packet's position (last 16 bytes, u64 little-endian) is the count
  end=$(od -An -t u8 -j $((size - 16)) -N 8 "$f" | tr -d ' ')
  case $path in
    a/one.wav) want=0.500 ;; "a/b/two three.wav") want=1.250 ;; c/four.WAV) want=0.750 ;;
  esac
  if [ "$end" = "$count" ] && [ "$dur" = "$want" ] && [ "$count" -gt 0 ]; then
    ok "$path: $dur s, $count pairs = the stream's end packet"
  else bad "$path: manifest $dur s / $count pairs, stream has $end, expected $want s"; fi
done <"$m"

# ---- run 3: nothing left but the bad file; without it, nothing to do
rm "$S/c/junk.wav"
rc=0; "$TREE" -P 2 "$S" "$O" $TOOLOPTS >/dev/null 2>"$D/run3.err" || rc=$?
if [ $rc = 0 ] && grep -q "3 done, 0 to do" "$D/run3.err"; then ok "run 3: 3 done, 0 to do"
else bad "run 3: exit $rc: $(cat "$D/run3.err")"; fi

# ---- merging shard manifests (as after a Slurm array)
mkdir -p "$D/m"
printf 'b.wav\t1.000\t56\n' >"$D/m/manifest.shard-1.tsv"
printf 'a.wav\t2.000\t106\nb.wav\t1.000\t56\nbroken' >"$D/m/manifest.shard-0.tsv"
"$TREE" --merge "$D/m" >/dev/null 2>&1
if [ "$(cat "$D/m/manifest.tsv")" = "$(printf 'a.wav\t2.000\t106\nb.wav\t1.000\t56')" ] &&
   [ ! -e "$D/m/manifest.shard-0.tsv" ]; then
  ok "--merge: sorted, unique, torn line dropped, shards removed"
else bad "--merge: $(cat "$D/m/manifest.tsv")"; fi
exit $fail
