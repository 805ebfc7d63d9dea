"""Throw-away: policy_sim.py with monkeypatched experimental orders (not product code).

EXP env var selects: progfcfs (a new call of a program enters its level at the FCFS position
of the program's first call: inside a level, programs in arrival order; a demoted call still
joins the back of its new level); hint<sigma> (the SRPT oracle ranks by a noisy size hint,
below; only the ``oracle`` scheduler is affected).
"""

import os
import sys

sys.path.insert(0, "examples")
import policy_sim

from vllm_nexus.programs import queues

EXP = os.environ.get("EXP", "")
if "progfcfs" in EXP:
    orig_add = queues.MultiLevelQueue.add
    first = {}

    def add(self, call_id, program_id, now, *a, **k):
        call = orig_add(self, call_id, program_id, now, *a, **k)
        e = first.setdefault((id(self), program_id), call.enter)
        call.enter = e
        return call

    queues.MultiLevelQueue.add = add
if EXP.startswith("hint"):
    # SRPT on a client's size hint: the program's total work x exp(sigma * N(0, 1)) (seeded per
    # program id), minus its exact attained work, floored at 0 (a program past its hint ties).
    import math
    import random

    from vllm_nexus.sim import replay

    sigma = float(EXP[4:])
    orig_build = replay.Replay._build_dags
    orig_prio = replay.Replay._priority

    def build(self, programs):
        orig_build(self, programs)
        for pid in list(self.remaining_work):
            z = random.Random("hint/" + pid).gauss(0.0, 1.0)
            self.remaining_work[pid] *= math.exp(sigma * z)

    replay.Replay._build_dags = build
    replay.Replay._priority = lambda self, pid: max(0, orig_prio(self, pid))
sys.exit(policy_sim.main())
