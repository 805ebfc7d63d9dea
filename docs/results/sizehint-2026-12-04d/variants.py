"""Throw-away diagnosis (tuning seeds 0-1 only): policy_sim.py with alternative rules for
levelling a hinted call. Not product code. EXP env var:

- ``base``: the shipped rule, ``(hint - calls started) x service per completed call``;
- ``sib``: calls in flight count as remaining work: ``(hint - calls completed - 1) x ...``
  (the same for sequential programs, where started = completed + 1; a fan-out's later
  siblings no longer rank above its first);
- ``seqonly``: a program that has fanned out is levelled as if unhinted (stage ranking);
- ``lift``: a hint may only lift a call: min(hinted level, the unhinted level);
- ``capK`` (K = 1, 2, ...): a hint may lift a call any number of levels but put it at most K
  levels below its unhinted level (``lift`` = ``cap0``; the shipped rule = no cap).

SKIP_PLAIN=1: the rows without hints are not simulated (they equal the shipped default's).
"""

import os
import sys

sys.path.insert(0, "examples")
import policy_sim

from vllm_nexus.programs import queues

EXP = os.environ.get("EXP", "base")
MLQ = queues.MultiLevelQueue
orig_rank = MLQ._hint_rank
orig_entry = MLQ.entry_level


def hint_rank(self, prog, hint):
    r = orig_rank(self, prog, hint)
    if r is None:
        return None
    if EXP == "sib":
        done = prog.completed_calls
        per_call = prog.service / done if done else self.levels.typical
        return (prog.size_hint - done - 1) * per_call
    if EXP == "seqonly" and prog.fanouts:
        self.hinted_calls -= 1
        return None
    return r


CAP = 0 if EXP == "lift" else int(EXP[3:]) if EXP.startswith("cap") else None


def entry_level(self, call, now):
    lvl = orig_entry(self, call, now)
    if CAP is not None and call.hint_rank is not None:
        h, call.hint_rank = call.hint_rank, None
        try:
            lvl = min(lvl, orig_entry(self, call, now) + CAP, self.num_levels - 1)
        finally:
            call.hint_rank = h
    return lvl


orig_run_one = policy_sim.run_one


def run_one(setting, sched, programs, seed, section, warmup=None, known=False, sigma=None):
    if sigma is None and os.environ.get("SKIP_PLAIN"):
        nan = float("nan")
        return {"mean": nan, "p95": nan, "e2e": nan, "per_kind": {}, "computed": 0,
                "recomputed": 0, "recompute_share": nan, "preemptions": 0, "proactive": 0,
                "promotions": 0, "hinted_calls": 0, "hint_overruns": 0, "calls": 0,
                "unfinished": 0, "cpu_s": 0.0, "skipped": True}
    return orig_run_one(setting, sched, programs, seed, section, warmup, known, sigma)


policy_sim.run_one = run_one


MLQ._hint_rank = hint_rank
MLQ.entry_level = entry_level
if __name__ == "__main__":
    sys.exit(policy_sim.main())
