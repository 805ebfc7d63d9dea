"""Post hoc: does the real engine's step pay the calibrated `frontend_call_delay_s` per call it
received while it ran, when calls arrive several per step (map-reduce fan-out)? Per real step
log: each streaming step's wall time minus the profile's step model, binned by calls received,
against the profile's frontend delay for that step (fixed + per stream up to the knee + per call
received; prefill steps x the prefill stretch), and the least squares of the same parts on this
log alone (fit.frontend_delay's method).
usage: python calldelay.py PROFILE.json STEPLOG.jsonl[.gz] ..."""

import statistics
import sys
from pathlib import Path

from vllm_nexus.perf.hardware import get_hardware
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim import fit

hw = get_hardware(sys.argv[1])
predict = StepLatencyModel(hw, get_model("tiny")).step_time
cap = hw.frontend_stream_delay_cap
print(f"profile {sys.argv[1]}: fixed {hw.frontend_step_delay_s * 1e3:.3f} ms, per stream "
      f"{hw.frontend_stream_delay_s * 1e3:.3f} ms (cap {cap:g}), per call "
      f"{hw.frontend_call_delay_s * 1e3:.3f} ms, prefill stretch {hw.frontend_prefill_stretch:.3f}")
for log in sys.argv[2:]:
    steps, _ = fit.read_log(Path(log), "wall")
    adds = fit.adds_per_step(Path(log))
    rows = fit._delay_rows(steps, adds, predict)
    coef, _ = fit._delay_solve(rows, cap, prefill=True)
    bins: dict[str, list[tuple[float, float]]] = {}
    for n, a, p, excess in rows:
        paid = min(n, cap) if cap > 0 else n
        model = hw.frontend_step_delay_s + hw.frontend_stream_delay_s * paid
        model += hw.frontend_call_delay_s * a + (hw.frontend_prefill_stretch - 1.0) * p
        key = str(a) if a < 4 else "4-7" if a < 8 else "8+"
        bins.setdefault(key, []).append((excess, model))
    print(f"\n{log}: {len(rows)} streaming steps; this log's own fit: fixed {coef[0] * 1e3:.3f} ms, "
          f"per stream {coef[1] * 1e3:.3f}, per call {coef[2] * 1e3:.3f}, prefill stretch {1 + coef[3]:.3f}")
    print("| calls received | steps | measured excess, mean ms | profile's delay, mean ms |")
    print("|---|---|---|---|")
    for key in ("0", "1", "2", "3", "4-7", "8+"):
        if key in bins:
            b = bins[key]
            print(f"| {key} | {len(b)} | {statistics.mean(e for e, _ in b) * 1e3:.2f} | "
                  f"{statistics.mean(m for _, m in b) * 1e3:.2f} |")
