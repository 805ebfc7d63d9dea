#!/bin/bash
export FID_CODE=/tmp/fid-win/97d599b2150127dcfa726983c7b43c4675d907ea FID_OUT=/tmp/fid-out/F
S=/work/wt/fid/docs/results/simfid-2026-12-04f/scripts
for f in ca mr; do
  echo "queued pred $f $(date -u +%FT%TZ)" >> /tmp/fid-out/commands.txt
  /work/wt/shared timeout 900 bash $S/pred.sh $f > /tmp/fid-out/pred-$f.out 2>&1
  echo "rc pred $f $? end $(date -u +%FT%TZ)" >> /tmp/fid-out/commands.txt
done
for pl in "$FID_CODE/vllm_nexus/perf/profiles/cpu-here.json committed" "/work/wt/fid/docs/results/simfid-2026-12-04b/X/calibration.json X"; do
  set -- $pl
  echo "queued side $2 $(date -u +%FT%TZ)" >> /tmp/fid-out/commands.txt
  /work/wt/shared timeout 900 bash $S/side.sh $1 $2 > /tmp/fid-out/side-$2.out 2>&1
  echo "rc side $2 $? end $(date -u +%FT%TZ)" >> /tmp/fid-out/commands.txt
done
