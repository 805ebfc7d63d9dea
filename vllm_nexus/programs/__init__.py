"""Program-aware scheduling (Autellix): which call runs next.

Pure policy (no vLLM import): ``identity`` (which program a call belongs to), ``table``
(attained service per program, PLAS/ATLAS rules, TTL/capacity eviction), ``queues`` (the
discretized multi-level queue with program-level anti-starvation, Autellix §4.2 Alg. 1).
vLLM adapters: ``request_queue`` (vLLM's waiting-queue interface), ``scheduler``
(``--scheduler-cls``), ``metrics`` (counters, snapshot, Prometheus collector).
"""
