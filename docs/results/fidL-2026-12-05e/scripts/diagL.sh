#!/bin/bash
# window L, diagnostics (not verdicts): the same report with another profile, over the same real runs
# (symlinked). usage: FID_CODE=... FID_TRACES=... /work/wt/shared timeout 590 bash diagL.sh NAME PROFILE
#   NAME amd: the AMD host's packaged profile (cross-host); NAME generic: the generic packaged cpu-here.json
R=${FID_CODE:?}; N=${1:?}; PROF=${2:?}; D=/tmp/fidL/diag-$N
for f in ca mr; do mkdir -p $D/$f; for x in real steps machine; do ln -sfn /tmp/fidL/L/$f/$x $D/$f/$x; done; done
FID_OUT=$D FID_PROFILE=$PROF bash /work/main/docs/results/fidL-2026-12-05e/scripts/predL.sh 6
