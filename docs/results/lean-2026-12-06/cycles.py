"""Post hoc (2026-12-06 (j)): where the shipped predictor's slow lean comes from, step by step.

For every real repetition of a window (each rate's server), the engine's pure-decode steps
(no prefill chunk; 1-8 requests) are compared with what the simulator charges for the same
step with the window's registered profile (calibration-mid.json):
  - engine: the step's engine-clock period (wall minus the engine's waits for a CPU) over the
    step model alone (StepLatencyModel.step_time);
  - front: the step's wall minus engine-clock period (the waits) against the profile's
    frontend part, frontend_step_delay_s + frontend_stream_delay_s x streams (the part per
    call received is left out on both sides' favour: real steps that received calls keep it);
  - cycle: wall period over step_time + the frontend part.
The summary gives each window's median over its runs at each family's lower rate (below the
knee) and at 12/s. usage: python cycles.py WINDOW_DIR... (dirs with calibration-mid.json,
{ca,mr}/real/<sched>/repN/result.json[.gz] and {ca,mr}/steps/<sched>-repN.jsonl[.gz])"""

import statistics
import sys
from pathlib import Path

from vllm_nexus.perf.hardware import get_hardware
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.fidelity import _logged_reps
from vllm_nexus.sim.fit import read_log


def runs(win: str):
    """(family, scheduler, rep, rate, step log, wall window) of every logged real run, read
    with the product's own repetition walker (sim.fidelity._logged_reps)."""
    for fam in ("ca", "mr"):
        for sched in ("stock-fcfs", "vllm_nexus"):
            for rep, log, result in _logged_reps(Path(win) / fam, sched):
                for run in result["runs"]:
                    yield fam, sched, rep, float(run["rate"]), log, tuple(run["wall_clock"])


def front(hw, k: int) -> float:
    """The profile's frontend part of a step with ``k`` streams (as sim/replay.py charges it)."""
    cap = hw.frontend_stream_delay_cap
    return hw.frontend_step_delay_s + hw.frontend_stream_delay_s * (min(k, cap) if cap > 0 else k)


def main() -> None:
    summary = []
    for win in sys.argv[1:]:
        hw = get_hardware(f"{win}/calibration-mid.json")
        lat = StepLatencyModel(hw, get_model("tiny"))

        name = Path(win).name
        print(f"\n### {name}: profile front part {1e3 * front(hw, 1):.2f} ms at 1 stream, "
              f"{1e3 * front(hw, 4):.2f} ms at 4, {1e3 * front(hw, 8):.2f} ms at 8\n")  # fmt: skip
        print("| family | scheduler | rep | rate | decode steps | engine / step model | "
              "waits, real (ms/step) | waits, profile (ms/step) | cycle, real / profile |")  # fmt: skip
        print("|---|---|---|---|---|---|---|---|---|")
        cells: dict[tuple[str, str], list[tuple[float, float, float, float]]] = {}
        for fam, sched, rep, rate, log, w in runs(win):
            sw, _ = read_log(log, "wall", w)
            se, _ = read_log(log, "engine", w)
            n = wall = eng = model = fr = 0.0
            for (c, pw), (_, pe) in zip(sw, se, strict=True):
                if c[0] == 0 and 1 <= c[4] <= 8:
                    n += 1
                    wall += pw
                    eng += pe
                    model += lat.step_time(*c)
                    fr += front(hw, int(c[4]))
            if not n:
                continue
            row = (eng / model, 1e3 * (wall - eng) / n, 1e3 * fr / n, wall / (model + fr))
            low = "low" if rate < 12 else "12/s"
            cells.setdefault((fam, low), []).append(row)
            print(f"| {fam} | {sched} | {rep} | {rate:g} | {int(n)} | {row[0]:.2f} | {row[1]:.2f} | "
                  f"{row[2]:.2f} | {row[3]:.2f} |")  # fmt: skip
        for (fam, low), rows in sorted(cells.items()):
            med = [statistics.median(r[i] for r in rows) for i in range(4)]
            summary.append((name, fam, low, len(rows), *med))
    print("\n### Medians over runs\n")
    print("| window | family | rate | runs | engine / step model | waits, real (ms/step) | "
          "waits, profile (ms/step) | cycle, real / profile |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for s in summary:
        print(f"| {s[0]} | {s[1]} | {s[2]} | {s[3]} | {s[4]:.2f} | {s[5]:.2f} | {s[6]:.2f} | {s[7]:.2f} |")


if __name__ == "__main__":
    main()
