# ruff: noqa
"""Post hoc (after window V), not a product change: the simulator with call ingress as per-call latency, not
queued in (nor occupying) the frontend FIFO. usage: [QUEUED_S=s] python ingressV.py base|parallel|queued <vllm-nexus arguments...> (posthocV.sh runs it per window)"""
import heapq, sys
from vllm_nexus.sim import replay

variant = sys.argv[1]

def through_parallel(self, t_enter, pid, cid, t_send):
    work = self.overhead + self.overhead_per_token * self.full_prompt[pid][cid]
    if self.sched.get_num_unfinished_requests():
        work /= self.front_speed
    heapq.heappush(self.arrivals, (t_enter + work, self.seq, pid, cid, t_send))
    self.seq += 1

def through_queued(self, t_enter, pid, cid, t_send):
    """Only QUEUED_S of a call's ingress queues in (and occupies) the frontend FIFO; the rest
    of the modelled ingress time is a latency before it (the total for a lone call unchanged)."""
    work = self.overhead + self.overhead_per_token * self.full_prompt[pid][cid]
    if self.sched.get_num_unfinished_requests():
        work /= self.front_speed
    queued = min(work, QUEUED_S)
    self.front_t = max(self.front_t, t_enter + work - queued) + queued
    heapq.heappush(self.arrivals, (self.front_t, self.seq, pid, cid, t_send))
    self.seq += 1


if variant == "parallel":
    replay.Replay._through_frontend = through_parallel
elif variant == "queued":
    import os
    QUEUED_S = float(os.environ["QUEUED_S"])  # measured by qmeasureV.py in the window's calibrations
    replay.Replay._through_frontend = through_queued
from vllm_nexus.cli import main
sys.argv = ["vllm-nexus", *sys.argv[2:]]
sys.exit(main())
