# ruff: noqa
"""Post hoc (after window V), not a product change: the simulator with call ingress as per-call latency, not
queued in (nor occupying) the frontend FIFO. usage: python ingressV.py base|parallel <vllm-nexus arguments...> (posthocV.sh runs it per window)"""
import heapq, sys
from vllm_nexus.sim import replay

variant = sys.argv[1]

def through_parallel(self, t_enter, pid, cid, t_send):
    work = self.overhead + self.overhead_per_token * self.full_prompt[pid][cid]
    if self.sched.get_num_unfinished_requests():
        work /= self.front_speed
    heapq.heappush(self.arrivals, (t_enter + work, self.seq, pid, cid, t_send))
    self.seq += 1

if variant == "parallel":
    replay.Replay._through_frontend = through_parallel
from vllm_nexus.cli import main
sys.argv = ["vllm-nexus", *sys.argv[2:]]
sys.exit(main())
