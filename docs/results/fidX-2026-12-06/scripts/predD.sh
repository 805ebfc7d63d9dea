#!/bin/bash
# window X, after the real runs and the end calibration (../README.md "Predictors"): both predictions.
#   M: the midpoint, X/calibration-mid.json -> X/{ca,mr}/sim-alone/
#   D: the candidate, X/calibration-mid-D.json (candidate_profiles_D.py on X's calibrations)
#      -> X/{ca,mr}/sim-D/
# Both with the code frozen at the pre-registration (/tmp/fidX/code), which holds D's opt-in fields.
# usage: /work/wt/shared timeout 1200 bash predD.sh N
N=${1:?reps}; H=/work/main/docs/results/fidX-2026-12-06/scripts; X=/tmp/fidX/X
export FID_TRACES=/tmp/fidX/traces FID_CODE=/tmp/fidX/code
# M
FID_OUT=$X FID_PROFILE=$X/calibration-mid.json bash $H/predX.sh $N
# D
(cd /tmp/fidX/code && PYTHONPATH=/tmp/fidX/code /work/main/.venv/bin/python $H/candidate_profiles_D.py $X $X) || exit 1
C=/tmp/fidX/D
for f in ca mr; do mkdir -p $C/$f; for x in real steps machine; do ln -sfn $X/$f/$x $C/$f/$x; done; done
FID_OUT=$C FID_PROFILE=$X/calibration-mid-D.json bash $H/predX.sh $N
for f in ca mr; do rm -rf $X/$f/sim-D; cp -r $C/$f/sim-alone $X/$f/sim-D; cp $C/$f/fidelity.md $X/$f/fidelity-D.md; done
echo "predD done $(date -u +%FT%TZ)"
