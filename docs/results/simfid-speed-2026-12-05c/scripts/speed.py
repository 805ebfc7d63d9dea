# ruff: noqa
"""Per-server speed against the packaged profile, from recorded step logs (no engine).

usage: python speed.py PROFILE.json CALIB_LOG LOG...   (logs may be .gz)

For every log: pure-decode steps (no prefill chunk) by batch size (1, 2, 3-4, 5-8 requests),
median measured period on the engine clock and on wall (vllm_nexus.sim.fit.read_log) over
what the profile's step model predicts for the same composition, and the median excess
(measured - predicted, ms). The calibration log contributes its designed load only (the window
the profile was fitted on). The speed factor of a server = its b1-2 median ratio / the
calibration log's, on the engine clock."""
import gzip, json, statistics as st, sys, tempfile
from pathlib import Path
from vllm_nexus.perf.hardware import load_profile
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.fit import read_log, phase_times

BINS = ((1, 1), (2, 2), (3, 4), (5, 8))


def plain(p):
    p = Path(p)
    if p.suffix != ".gz":
        return p
    t = Path(tempfile.mkdtemp()) / p.stem
    t.write_bytes(gzip.open(p).read())
    return t


def stats(path, model, window=None):
    out = {}
    for clock in ("engine", "wall"):
        steps, _ = read_log(path, clock, window)
        for lo, hi in BINS:
            rows = [(t, model.step_time(*c)) for c, t in steps if c[0] == 0 and lo <= c[4] <= hi]
            if len(rows) < 20:
                continue
            out[(clock, lo)] = (len(rows), st.median(t / p for t, p in rows),
                                1e3 * st.median(t - p for t, p in rows), 1e3 * st.median(t for t, _ in rows))
    return out


def main():
    prof, calib, logs = sys.argv[1], plain(sys.argv[2]), sys.argv[3:]
    model = StepLatencyModel(load_profile(prof), get_model("tiny"))
    ph = phase_times(calib)
    ref = stats(calib, model, (0.0, ph["frontend"]) if "frontend" in ph else None)
    rows = [("calibration (designed load)", ref)] + [(l, stats(plain(l), model)) for l in logs]
    r0 = ref[("engine", 1)][1]
    print("| log | b1 eng ms | b1 ratio | b2 ratio | b3-4 ratio | b5-8 ratio | b1 excess ms | b5-8 excess ms | wall b1 ratio | wall b5-8 ratio | factor (b1 eng / calib) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    fac = {}
    for name, s in rows:
        g = lambda k, i: (f"{s[k][i]:.2f}" if k in s else "-")
        f = s[("engine", 1)][1] / r0 if ("engine", 1) in s else float("nan")
        fac[name] = f
        print(f"| {name[-48:]} | {g(('engine',1),3)} | {g(('engine',1),1)} | {g(('engine',2),1)} | {g(('engine',3),1)} | {g(('engine',5),1)} | {g(('engine',1),2)} | {g(('engine',5),2)} | {g(('wall',1),1)} | {g(('wall',5),1)} | {f:.3f} |")
    json.dump(fac, open("/dev/stderr", "w"), indent=0)


if __name__ == "__main__":
    main()
