#!/bin/bash
export FID_CODE=/tmp/fid-win/72f88a66ae30a28718b237c42a2b94ed113380a8 FID_OUT=/tmp/fid-out/F
echo "queued fix sims $(date -u +%FT%TZ)" >> /tmp/fid-out/commands.txt
/work/wt/shared timeout 600 bash -c 'bash /tmp/fid-win/72f88a66ae30a28718b237c42a2b94ed113380a8/docs/results/simfid-2026-12-04f/scripts/side.sh /tmp/fid-out/F/calibration.json fix; cd /tmp/fid-out; python3 table.py F fix F/ca/side-fix F/mr/side-fix' > /tmp/fid-out/fix.out 2>&1
echo "rc fix sims $? end $(date -u +%FT%TZ)" >> /tmp/fid-out/commands.txt
cd /work/wt/fid
echo "queued suite $(date -u +%FT%TZ)" >> /tmp/fid-out/commands.txt
PYTHONPATH=/work/wt/fid /work/wt/shared timeout 900 /work/main/.venv/bin/pytest -q -m 'not engine' tests/ -p no:cacheprovider > /tmp/fid-out/suite.out 2>&1
echo "rc suite $? end $(date -u +%FT%TZ)" >> /tmp/fid-out/commands.txt
