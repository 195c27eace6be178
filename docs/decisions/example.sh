#!/bin/sh
# The worked example of docs/decisions.md, from the three commands to its figures.
#
#   sh docs/decisions/example.sh            # from the repository's root, after `make run`
#
# Runs explore, frontier and optimise for a town of 4,000 citizens over five years into
# results/decisions/ (each resumes if stopped: run the script again), then copies the figures
# the document shows into docs/decisions/. The reports are results/decisions/*/report.html.
set -eu
SS=${SS:-.venv/bin/solidarity-sim}
OUT=${OUT:-results/decisions}
HERE=$(dirname "$0")
TOWN="--weeks 260 --set population.citizens=4000 --seed 1"
POLICIES="great-recession core-funding project-grants performance-funding"

# 1. Which funding policy holds up across crises we cannot predict?
$SS explore $POLICIES --futures 50 $TOWN --out "$OUT/explore"
# 2. What does each euro buy?
$SS frontier $POLICIES --budgets 0,5,10,20 --replications 10 $TOWN --out "$OUT/frontier"
# 3. How should the city split 10 €/citizen/year before an uncertain crisis?
$SS optimise great-recession --budget 10 --futures 6 --trials 24 --replications 6 --top 3 \
    --final-replications 12 $TOWN --out "$OUT/optimise"

cp "$OUT/explore/regret.png" "$HERE/explore-regret.png"
cp "$OUT/explore/scenario-discovery.png" "$HERE/explore-discovery.png"
cp "$OUT/frontier/frontier.png" "$HERE/frontier.png"
cp "$OUT/optimise/differences.png" "$HERE/optimise-differences.png"
cp "$OUT/optimise/search.png" "$HERE/optimise-search.png"
