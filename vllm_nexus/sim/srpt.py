"""SRPT with an oracle of remaining program work: a baseline only a simulator can run.

Autellix §6 compares against shortest-remaining-processing-time scheduling that knows every
program's future (clairvoyant). The simulator knows the trace, so when it submits a call it
sets ``request.priority`` to the program's remaining work (prefill tokens weighted 0.25 plus
output tokens of the calls not yet finished, this one included). This class is vLLM's stock
scheduler in ``priority`` mode (smaller first; it already preempts the worst running request
when KV blocks run out) plus **proactive** preemption: when the batch is full, a waiting call
with strictly less remaining program work displaces the running call with the most.
"""

from __future__ import annotations

import time
from typing import Any

from vllm.v1.core.sched.output import SchedulerOutput
from vllm.v1.core.sched.scheduler import Scheduler
from vllm.v1.request import RequestStatus

MAX_PREEMPTIONS_PER_STEP = 4


class SrptOracleScheduler(Scheduler):
    """Stock priority scheduler + proactive preemption by oracle remaining work."""

    def schedule(self, *args: Any, **kwargs: Any) -> SchedulerOutput:
        if self.waiting and len(self.running) >= self.max_num_running_reqs:
            self._displace()
        return super().schedule(*args, **kwargs)

    def _displace(self) -> None:
        now = time.monotonic()
        for _ in range(MAX_PREEMPTIONS_PER_STEP):
            if not self.waiting:
                return
            head = self.waiting.peek_request()
            victim = max(self.running, key=lambda r: (r.priority, r.arrival_time))
            if victim.status != RequestStatus.RUNNING or (head.priority, head.arrival_time) >= (
                victim.priority,
                victim.arrival_time,
            ):
                return
            self.running.remove(victim)
            self._preempt_request(victim, now)
