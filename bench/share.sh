#!/usr/bin/env bash
# Two jobs on one machine: `hsi train` of the main job's config alone and two started together,
# with the thread governor (default) and without it (HSI_ADAPTIVE_THREADS=0: every job keeps all
# cores, as before the governor). Runs alternate; medians of REPS runs.
# Usage: bash bench/share.sh [REPS=3] [CONFIG=configs/salinas_a.ini]
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-3}
config=${2:-configs/salinas_a.ini}
H=./build/cli/hsi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
alone() {  # ENV_VALUE -> seconds
  local t0 t1
  t0=$(date +%s.%N)
  HSI_ADAPTIVE_THREADS=$1 $H train --config "$config" --out "$out/run_$RANDOM$RANDOM" --seed 0 >/dev/null 2>&1
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}
pair() {  # ENV_VALUE -> the slower of two started together
  local a b
  alone "$1" >"$out/a" &
  alone "$1" >"$out/b" &
  wait
  a=$(cat "$out/a"); b=$(cat "$out/b")
  echo "if ($a > $b) $a else $b" | bc
}
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
lscpu | grep -E "Model name|^CPU\(s\)" | sed 's/  */ /g'
for kind in alone pair; do
  : >"$out/fixed_$kind"; : >"$out/governed_$kind"
  for ((r = 0; r < reps; r++)); do
    $kind 0 >>"$out/fixed_$kind"
    $kind 1 >>"$out/governed_$kind"
  done
done
fa=$(median <"$out/fixed_alone"); ga=$(median <"$out/governed_alone")
fp=$(median <"$out/fixed_pair"); gp=$(median <"$out/governed_pair")
printf 'alone:  all cores always %.2f s   governed %.2f s   (governed / always %.3f)\n' "$fa" "$ga" "$(echo "$ga / $fa" | bc -l)"
printf 'pair:   all cores always %.2f s   governed %.2f s   (slower job of two started together)\n' "$fp" "$gp"
printf 'pair / alone:  all cores always %.2fx   governed %.2fx\n' "$(echo "$fp / $fa" | bc -l)" "$(echo "$gp / $ga" | bc -l)"
