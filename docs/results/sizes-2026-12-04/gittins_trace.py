"""Decision trace of the learned-size policies in the simulator: a hash of every scheduler
step's decisions (scheduled tokens per request, preempted requests, the running order) and of
each size-table refresh (version, ranks of every table), per run, for ``gittins`` and the
default (whose preemption check uses the same size model), warm (another seed replayed first)
with clients naming program classes, so the tables form and are used.
Run from the tree to trace (``PYTHONPATH=TREE``); the same arguments give the same digests
when the decisions are the same.
Usage: python gittins_trace.py [--settings cpu,cpu-kv] [--workloads lats,mixed,agentic]
       [--seeds 0] [--schedulers gittins,default]"""

import argparse
import hashlib
import os
import sys

sys.path.insert(0, os.path.join(os.environ.get("PYTHONPATH", "."), "examples"))
import policy_sim as ps  # noqa: E402

import vllm_nexus.sim.engine as engine  # noqa: E402

_Sim = engine.Simulator
HASH = hashlib.sha256()
STEPS = [0]


class TracedSimulator(_Sim):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        s = self.scheduler
        orig = s.schedule
        seen = {"version": -1}

        def schedule(*a, **k):
            out = orig(*a, **k)
            STEPS[0] += 1
            HASH.update(
                repr(
                    (
                        sorted(out.num_scheduled_tokens.items()),
                        sorted(out.preempted_req_ids),
                        [r.request_id for r in s.running],
                    )
                ).encode()
            )
            mlq = getattr(s, "mlq", None)
            model = mlq and (mlq.sizes or mlq.size_gate)
            if model is not None and model.version != seen["version"]:
                seen["version"] = model.version
                # by key: the dicts' order follows set iteration (string hashes, per process)
                tables = [("", model.global_table and model.global_table.ranks)]
                tables += sorted((k, t.ranks) for k, t in model.class_tables.items())
                tables += sorted((k, t.ranks) for k, t in model.tenant_tables.items())
                HASH.update(repr((model.version, tables)).encode())
                HASH.update(repr(model.rank_boundaries).encode())
            return out

        s.schedule = schedule


engine.Simulator = TracedSimulator


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--settings", default="cpu,cpu-kv")
    ap.add_argument("--workloads", default="lats,mixed,agentic")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--schedulers", default="gittins,default")
    a = ap.parse_args()
    total = hashlib.sha256()
    for sname in a.settings.split(","):
        st = ps.SETTINGS[sname]
        for w in a.workloads.split(","):
            for seed in map(int, a.seeds.split(",")):
                rate = st.rates[w][-1]
                programs = ps.programs_for(st, w, seed, rate, 1.0)
                warm = ps.programs_for(st, w, seed + 1000, rate, 1.0)
                for name in a.schedulers.split(","):
                    HASH.__init__()
                    STEPS[0] = 0
                    r = ps.run_one(st, ps.SCHEDULERS[name], programs, seed, None, warm, True)
                    d = HASH.hexdigest()[:16]
                    total.update(d.encode())
                    print(
                        f"{sname} {w} seed {seed} rate {rate} {name}: {STEPS[0]} steps, digest {d},"
                        f" mean {r['mean']:.6f}, proactive {r.get('proactive')}, computed"
                        f" {r.get('computed')}",
                        flush=True,
                    )
    print("all runs:", total.hexdigest()[:16])


if __name__ == "__main__":
    main()
