#!/bin/bash
# Post hoc (after window V): the midpoint profile with request_overhead_s = 0 (a copy), V's traces, one scheduler.
# usage: python3 -c "import json;d=json.load(open(\"/tmp/fidV/V/calibration-mid.json\"));d[\"hardware\"][\"request_overhead_s\"]=0.0;json.dump(d,open(\"/tmp/simx/noreq.json\",\"w\"))"
#        HW=/tmp/simx/noreq.json bash noreqV.sh noreq mr vllm_nexus
N=$1; FAM=$2; S=$3
cd /work/main
if [ $FAM = mr ]; then T=(--trace /tmp/fidV/traces/mr81529.jsonl --programs 100 --sweep-rates 6,12 --seed 81529); else T=(--trace /tmp/fidV/traces/ca47316.jsonl --programs 120 --sweep-rates 2,12 --seed 47316); fi
.venv/bin/python -m vllm_nexus.cli simulate "${T[@]}" --arrival-cv 1 --think-scale 0.3 --hardware ${HW:-/tmp/fidV/V/calibration-mid.json} --model tiny --scheduler $S \
  --max-num-seqs 8 --max-model-len 4096 --out /tmp/simy/$N-$FAM --no-progress --no-plots > /tmp/simy/$N-$FAM-$S.log 2>&1
python3 -c "
import json; d=json.load(open('/tmp/simy/$N-$FAM/$S/result.json'))
print('$N $FAM $S', ' | '.join('%g: mean %.1f p95 %.1f' % (r['rate'], 1e3*r['summary']['program_token_latency_s']['mean'], 1e3*r['summary']['program_token_latency_s']['p95']) for r in d['runs']))"
