# ruff: noqa  (analysis script, kept as run)
"""Per real run and rate: mean client call duration (send to last token) against the
engine's own time per request (add_request to finish, the recording scheduler's log): the
time outside the engine per call, real; and the simulated run's, where the simulator's
time outside is the frontend FIFO (arrival - send) and the delivery of the last token.
usage: outside.py RUNDIR SIM_PRED_DIR (e.g. results/H/mr results/pred/H-profile/H-mr)"""
import json, statistics as st, sys
from pathlib import Path
ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT))
from vllm_nexus.sim.fit import read_log
rd, pd = Path(sys.argv[1]), sys.argv[2]
for s in ('stock-fcfs', 'vllm_nexus'):
    real = json.load(open(rd / 'real' / s / 'rep0' / 'result.json'))
    for run in real['runs']:
        w = tuple(run['wall_clock'])
        log = rd / 'steps' / f'{s}-rep0.jsonl'
        # engine e2e of requests added within the run's window
        adds, fins = {}, {}
        for line in log.read_text().splitlines():
            d = json.loads(line)
            if 'add' in d and w[0] <= d['t'] <= w[1]: adds[d['add']] = d['t']
            elif 'fin' in d: fins[d['fin']] = d['t']
        eng = [fins[r] - t for r, t in adds.items() if r in fins]
        calls = [c for p in run['programs'] for c in p['calls']]
        dur = [c['end_s'] - c['send_s'] for c in calls]
        ttft = [c['first_token_s'] - c['send_s'] for c in calls]
        sim = json.load(open(f"{pd}-r{run['rate']:g}/{s}/result.json"))['runs'][0]
        scalls = [c for p in sim['programs'] for c in p['calls']]
        sdur = [c['end_s'] - c['send_s'] for c in scalls]
        print(f"{rd.name} {s} rate {run['rate']:g}: calls {len(calls)} engine reqs {len(eng)} | real: client dur {1e3*st.mean(dur):.0f} ms, engine add->fin {1e3*st.mean(eng):.0f} ms, outside {1e3*(st.mean(dur)-st.mean(eng)):.0f} ms, ttft {1e3*st.mean(ttft):.0f} | sim: dur {1e3*st.mean(sdur):.0f} ms, ttft {1e3*st.mean(c['first_token_s'] - c['send_s'] for c in scalls):.0f}")
