"""Micro-benchmark of SnapshotWriter.write with a changing snapshot (run with PYTHONPATH at a tree)."""

import json
import os
import tempfile
import timeit
from dataclasses import asdict
from pathlib import Path

from vllm_nexus.programs.metrics import SchedulerMetrics, SnapshotWriter

d = tempfile.mkdtemp()
m = SchedulerMetrics()
m.waiting_by_level = [0] * 8
m.running_by_level = [0] * 8
m.tenants = [
    {
        "tenant": f"t{i}",
        "counters": {"service": 1.0, "calls": 3, "x": 2.0},
        "active_calls": 1,
        "lift": 0,
    }
    for i in range(2)
]
w = SnapshotWriter(d, "0")
n = 2000


def step() -> None:
    m.calls_completed += 1
    w.write(m, 0.0)


t = timeit.timeit(step, number=n) / n
t_asdict = timeit.timeit(lambda: json.dumps(asdict(m)), number=n) / n
t_dict = timeit.timeit(lambda: json.dumps(m.__dict__), number=n) / n
p = Path(d) / "engine_0.json"
tmp = Path(d) / ".engine_0.json.tmp"


def fast() -> None:
    data = json.dumps(m.__dict__).encode()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(tmp, p)


t_fast = timeit.timeit(fast, number=n) / n
print(
    f"write now {t * 1e6:.0f} us; asdict+dumps {t_asdict * 1e6:.0f} us; "
    f"dict dumps {t_dict * 1e6:.0f} us; fast write {t_fast * 1e6:.0f} us"
)
