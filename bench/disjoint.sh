#!/usr/bin/env bash
# Model selection on spatially disjoint external maps (README, "External train/test maps"):
# makes five pairs of maps from the config's ground truth (bench/disjoint_maps.py: patches of
# each class for training, the rest for test), then trains `auto` and each candidate on each
# pair and prints test OA per seed and the mean. Not a test: nothing is asserted.
# Usage: [PATCHES=3 SIDE=3] bench/disjoint.sh CONFIG ["auto ms2d:5 ms2d:13 ..."] [extra hsi train options...]
#        (PATCHES squares of SIDE x SIDE pixels a class for training; HSI=path/to/hsi to compare binaries)
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:?usage: bench/disjoint.sh CONFIG [candidates] [options]}
candidates=${2:-auto unmix svm ms2d:5 ms1d2d:5 ms2d:9 ms2d:13}
shift $(( $# < 2 ? $# : 2 ))
bash scripts/build.sh hsi
if ! /usr/bin/python3 -c "import scipy" 2> /dev/null; then
  apt-get install -y -qq --no-install-recommends python3-scipy python3-gdal > /dev/null
fi
labels=$(sed -n 's/^labels *= *//p' "$config" | head -1)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
/usr/bin/python3 bench/disjoint_maps.py "$labels" "$out" "${PATCHES:-3}" "${SIDE:-3}"
for candidate in $candidates; do
  model=${candidate%%:*}
  window=()
  [ "$model" != "$candidate" ] && window=(--model.patch "${candidate#*:}")
  for seed in 0 1 2 3 4; do
    run="$out/${model}_${candidate#*:}_$seed"
    "${HSI:-build/cli/hsi}" train --config "$config" --split.mode external --split.train_map "$out/tr$seed.mat:tr" \
      --split.test_map "$out/ts$seed.mat:ts" --model.name "$model" "${window[@]}" --threads 2 --seed "$seed" \
      --out "$run" "$@" > "$run.log" 2>&1 || { tail -3 "$run.log" >&2; exit 1; }
    oa=$(awk '/^test:/ {print $3}' "$run.log")
    chosen=$(awk '/^select: [a-z]/ {print "(" $2 ")"}' "$run.log")
    echo "$candidate seed $seed: OA $oa $chosen"
  done | tee "$out/table.txt"
  awk -v c="$candidate" '{sum += $5} END {printf "%s mean OA %.4f\n", c, sum / NR}' "$out/table.txt"
done
