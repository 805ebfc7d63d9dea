cd /work/wt/light3; export PYTHONPATH=/work/wt/light3; P=/work/main/.venv/bin/python; R=docs/results/lightload-2026-12-04g
date -u +"analysis start %H:%M:%S"
timeout 120 $P docs/results/coding-agent-2026-12-04e/steps.py /tmp/light3/diag8 > /tmp/light3/diag8-steps.md
timeout 120 $P $R/stepclass.py /tmp/light3/diag8 > /tmp/light3/diag8-stepclass.md
timeout 120 $P $R/stepmix.py /tmp/light3/diag8 > /tmp/light3/diag8-stepmix.txt
timeout 120 $P $R/analyze.py /tmp/light3/diag8 --threads > /tmp/light3/diag8-analyze.md
for d in ab8 ab2; do [ -f /tmp/light3/$d/procsplit.jsonl ] && timeout 120 $P $R/analyze.py /tmp/light3/$d --threads > /tmp/light3/$d-analyze.md; done
date -u +"analysis end %H:%M:%S"
