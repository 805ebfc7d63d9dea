cd /work/wt/light3; export PYTHONPATH=/work/wt/light3; P=/work/main/.venv/bin/python; R=docs/results/lightload-2026-12-04g
date -u +"analysis start %H:%M:%S"
for d in ab2 ab2tmp steps8b; do [ -f /tmp/light3/$d/procsplit.jsonl ] && timeout 120 $P $R/analyze.py /tmp/light3/$d --threads > /tmp/light3/$d-analyze.md; done
if [ -f /tmp/light3/steps8b/rows.jsonl ]; then
  timeout 120 $P docs/results/coding-agent-2026-12-04e/steps.py /tmp/light3/steps8b > /tmp/light3/steps8b-steps.md 2>/dev/null
  timeout 120 $P $R/stepclass.py /tmp/light3/steps8b > /tmp/light3/steps8b-stepclass.md
  timeout 120 $P $R/stepmix.py /tmp/light3/steps8b > /tmp/light3/steps8b-stepmix.txt
fi
mkdir -p $R/diag8/steps $R/steps8b/steps
for f in /tmp/light3/diag8/steps-*.jsonl; do gzip -c $f > $R/diag8/steps/$(basename $f).gz; done
for f in /tmp/light3/steps8b/steps-*.jsonl; do [ -f $f ] && gzip -c $f > $R/steps8b/steps/$(basename $f).gz; done
date -u +"analysis end %H:%M:%S"
