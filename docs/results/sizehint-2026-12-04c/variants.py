"""Throw-away (tuning seeds only): policy_sim.py with alternative rules for a hinted program
that starts more calls than its hint (not product code; the product rule is ``plas``).

EXP env var: ``plas`` (the shipped rule: levelled by attained service for good), ``double``
(the hint is doubled once at the first overrun, then dropped at the second), ``grace`` (top
level, remaining 0, until the program has started twice its hint, then dropped).
"""

import os
import sys

sys.path.insert(0, "examples")
import policy_sim

from vllm_nexus.programs import queues

EXP = os.environ.get("EXP", "plas")
orig = queues.MultiLevelQueue._hint_rank


SIDE: dict = {}


def hint_rank(self, prog, hint):
    """The variants assume a client that sends the same hint on every call (as the
    simulated one does): the program's first hint is its budget."""
    if EXP == "plas" or prog.hint_overrun:
        return orig(self, prog, hint)
    key = (id(self), prog.program_id)
    base = SIDE.get(key)
    if base is None:
        if hint is None:
            return orig(self, prog, hint)
        base = SIDE[key] = hint
    started = prog.completed_calls + prog.active_calls
    if started <= base:
        return orig(self, prog, hint)
    if started > 2 * base:
        return orig(self, prog, None)  # past the standing hint: dropped for good
    self.hinted_calls += 1
    if EXP == "grace":
        return 0.0
    done = prog.completed_calls
    per_call = prog.service / done if done else self.levels.typical
    return (2 * base - started) * per_call


queues.MultiLevelQueue._hint_rank = hint_rank
sys.exit(policy_sim.main())
