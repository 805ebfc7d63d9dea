#!/bin/bash
export FID_CODE=/tmp/fid-win/97d599b2150127dcfa726983c7b43c4675d907ea FID_OUT=/tmp/fid-out/F
S=/tmp/fid-win/97d599b2150127dcfa726983c7b43c4675d907ea/docs/results/simfid-2026-12-04f/scripts/win.sh
echo "queued A $(date -u +%FT%TZ)" >> /tmp/fid-out/commands.txt
/work/wt/exclusive timeout 1260 bash $S A > /tmp/fid-out/winA.out 2>&1
echo "rc A $? end $(date -u +%FT%TZ)" >> /tmp/fid-out/commands.txt
if [ "$(date -u +%H%M)" -ge 2125 ]; then echo "B not queued: past 21:25" >> /tmp/fid-out/commands.txt; exit 0; fi
echo "queued B $(date -u +%FT%TZ)" >> /tmp/fid-out/commands.txt
/work/wt/exclusive bash -c '[ "$(date -u +%H%M)" -lt 2125 ] || { echo "B not started: past 21:25"; exit 0; }; exec timeout 1080 bash '$S' B' > /tmp/fid-out/winB.out 2>&1
echo "rc B $? end $(date -u +%FT%TZ)" >> /tmp/fid-out/commands.txt
