#!/bin/bash
# window W, after the chain (../README.md "Predictors"): both predictions over W's real runs.
#   M: the midpoint, main's simulator as of the pre-registration (/tmp/fidW/code) -> W/{ca,mr}/sim-alone/
#   C: the candidate, code frozen at 0392063 (/tmp/fidW/codeC), profile calibration-mid-C.json
#      (candidate_profiles.py on W's calibrations) -> W/{ca,mr}/sim-C/
# usage: /work/wt/shared timeout 1200 bash predC.sh N
N=${1:?reps}; H=/work/main/docs/results/fidW-2026-12-06/scripts; W=/tmp/fidW/W
export FID_TRACES=/tmp/fidW/traces
# M
FID_CODE=/tmp/fidW/code FID_OUT=$W FID_PROFILE=$W/calibration-mid.json bash $H/predW.sh $N
# C
(cd /tmp/fidW/codeC && PYTHONPATH=/tmp/fidW/codeC /work/main/.venv/bin/python $H/candidate_profiles.py $W $W) || exit 1
C=/tmp/fidW/C
for f in ca mr; do mkdir -p $C/$f; for x in real steps machine; do ln -sfn $W/$f/$x $C/$f/$x; done; done
FID_CODE=/tmp/fidW/codeC FID_OUT=$C FID_PROFILE=$W/calibration-mid-C.json bash $H/predW.sh $N
for f in ca mr; do rm -rf $W/$f/sim-C; cp -r $C/$f/sim-alone $W/$f/sim-C; cp $C/$f/fidelity.md $W/$f/fidelity-C.md; done
echo "predC done $(date -u +%FT%TZ)"
