set -x
date -u
# cyt2: cyt + scheduler.py compiled too
rm -rf /tmp/ovh18/cyt2 && cp -r /tmp/ovh18/cyt /tmp/ovh18/cyt2 && cd /tmp/ovh18/cyt2 && PYTHONPATH=/tmp/ovh18/cy /work/main/.venv/bin/python /tmp/ovh18/cybuild.py scheduler 2>&1 | grep -i -E "error|warning: vllm" | head
ls /tmp/ovh18/cyt2/vllm_nexus/programs/*.so | wc -l
date -u
# digests of the compiled copies (cyt: main 5fbe1cc + 9 modules compiled; cyt2: + scheduler.py)
bash /work/main/docs/results/sched-overhead-2026-12-03d/trace.sh /tmp/ovh18/cyt2
bash /work/main/docs/results/sched-overhead-2026-12-03d/trace.sh /tmp/ovh18/cyt
date -u
cd /work/wt/ovh18/docs/results/sched-overhead-2026-12-04d && VG="--cache-sim=yes --LL=524288,8,64" bash irsteps.sh /tmp/ovh18/cyt2 c2_ours --side ours --steps 200
date -u
