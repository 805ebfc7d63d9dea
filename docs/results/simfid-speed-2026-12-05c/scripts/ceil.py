# ruff: noqa
"""Ceiling of a speed-conditioned prediction (post hoc: it reads each real server's own steps).

usage: python ceil.py OUTDIR VARIANT [WINDOW...]     (run from the code directory, PYTHONPATH set)

For every real server (scheduler x repetition) of the recorded windows below: its speed factor =
median (engine-clock period / packaged-profile prediction) of its one-request pure-decode steps
over the same statistic on the packaged profile's own calibration log (designed load); the run is
re-simulated with the profile scaled by that factor, and a cell's prediction is the mean over
repetitions of those simulations (each repetition had its own server). VARIANT:
  none   the packaged profile unscaled (the registered prediction, for reference)
  all    every time constant x f, FLOP rate and bandwidth / f (probe.rescale(hw, f, f))
  step   the step model only (OVERHEAD_FIELDS x f, FLOP rate and bandwidth / f); frontend kept
  fixed  only step_overhead_s, raised by (f - 1) x the modelled 1-request decode step at 1k
Writes OUTDIR/VARIANT/<window>-<fam>/<sched>-<rep>/ and prints the cell table."""
import gzip, json, math, os, statistics as st, subprocess, sys, tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from vllm_nexus.perf.hardware import load_profile
from vllm_nexus.perf.latency import OVERHEAD_FIELDS, StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.calibrate import small_step_s
from vllm_nexus.sim.fit import phase_times, read_log
from vllm_nexus.sim.probe import rescale

PROFILE = Path("vllm_nexus/perf/profiles/cpu-here-c268a9353dec.json").resolve()
CALIB = Path("docs/results/hostprofile-2026-12-04g/calib3/calibration-steps-2.jsonl.gz").resolve()
M = "/work/main/docs/results"
# window, family: (run dir [steps/, real/], trace, programs, seed, rates, overload rate)
WINDOWS = {
    ("J", "ca"): ("/tmp/simJ/J/ca", "/tmp/simJ/traces/ca9433.jsonl", 120, 9433, "2,12", 12),
    ("J", "mr"): ("/tmp/simJ/J/mr", "/tmp/simJ/traces/mr6529.jsonl", 100, 6529, "6,12", 12),
    ("Jre", "ca"): ("/tmp/k/out/ca", "/tmp/k/traces/ca9433.jsonl", 120, 9433, "12", 12),
    ("H", "ca"): (f"{M}/simfid-2026-12-05/H/ca", "/tmp/sf5/ca8123.jsonl", 200, 8123, "2,12", 12),
    ("H", "mr"): (f"{M}/simfid-2026-12-05/H/mr", f"{M}/simfid-2026-12-05/H/mr/trace.jsonl", 40, 9317, "2,4", 4),
    ("F", "ca"): ("/tmp/fid-out/F/ca", "/tmp/tal/traces/coding-agent35.jsonl", 200, 35, "12,24", 24),
    ("F", "mr"): ("/tmp/fid-out/F/mr", "/tmp/fid-out/F/mr/trace.jsonl", 40, 6700, "2,4", 4),
    # window K (this directory), after its registered verdict: the in-run estimator, post hoc
    ("K", "ca"): ("/tmp/spdK/K/ca", "/tmp/spdK/traces/ca4721.jsonl", 120, 4721, "2,12", 12),
    ("K", "mr"): ("/tmp/spdK/K/mr", "/tmp/spdK/traces/mr7459.jsonl", 100, 7459, "6,12", 12),
}
SCHEDS = ("stock-fcfs", "vllm_nexus")
MODEL = StepLatencyModel(load_profile(PROFILE), get_model("tiny"))


def plain(p):
    p = Path(p)
    if p.suffix != ".gz":
        return p
    t = Path(tempfile.mkdtemp()) / p.stem
    t.write_bytes(gzip.open(p).read())
    return t


EST = os.environ.get("EST", "b1")
"""b1: every one-request pure-decode step of the server's life; early: its first 300 such steps
(the closest to a probe before the trace); pooled: every 1-8-request pure-decode step."""


def b1_ratio(log, window=None, est="b1"):
    steps, _ = read_log(plain(log), "engine", window)
    hi = 8 if est == "pooled" else 1
    r = [t / MODEL.step_time(*c) for c, t in steps if c[0] == 0 and 1 <= c[4] <= hi]
    if est == "early":
        r = r[:300]
    return st.median(r), len(r)


def ref_ratio():
    c = plain(CALIB)
    ph = phase_times(c)
    return b1_ratio(c, (0.0, ph["frontend"]))[0]


def load(p):
    return json.load(gzip.open(p) if str(p).endswith(".gz") else open(p))


def lat(p):
    return {float(r["rate"]): r["summary"]["program_token_latency_s"] for r in load(p)["runs"]}


def scaled(variant, f, dest):
    hw = load_profile(PROFILE)
    if variant == "all":
        hw = rescale(hw, f, f)
    elif variant == "step":
        ch = {k: getattr(hw, k) * f for k in OVERHEAD_FIELDS}
        hw = hw.with_updates(**ch, peak_flops=hw.peak_flops / f, mem_bw=hw.mem_bw / f)
    elif variant == "fixed":
        hw = hw.with_updates(step_overhead_s=hw.step_overhead_s + (f - 1) * small_step_s(hw))
    elif variant != "none":
        raise SystemExit(variant)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps({"hardware": hw.to_dict()}, indent=1) + "\n")
    return dest


def simulate(prof, trace, n, seed, rates, sched, out):
    res = out / sched / "result.json"
    if not res.exists():
        cmd = ["/work/main/.venv/bin/python", "-m", "vllm_nexus.cli", "simulate", "--trace", trace,
               "--programs", str(n), "--seed", str(seed), "--arrival-cv", "1.0", "--sweep-rates", rates,
               "--hardware", str(prof), "--model", "tiny", "--scheduler", sched, "--max-num-seqs", "8",
               "--max-model-len", "4096", "--think-scale", "0.3", "--no-progress", "--no-plots",
               "--out", str(out)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return lat(res)


def main():
    out, variant = Path(sys.argv[1]), sys.argv[2]
    wins = sys.argv[3:] or sorted({w for w, _ in WINDOWS})
    ref = ref_ratio()
    jobs, meta = [], []
    for (w, fam), (d, trace, n, seed, rates, over) in WINDOWS.items():
        if w not in wins:
            continue
        d = Path(d)
        for s in SCHEDS:
            for rd in sorted((d / "real" / s).glob("rep*")):
                log = next(iter(sorted((d / "steps").glob(f"{s}-{rd.name}.jsonl*"))))
                from vllm_nexus.sim.speed import probe_window
                pw = probe_window(plain(log))  # K: the run's own steps, after the probe
                r, nb1 = b1_ratio(log, (pw[1], float("inf")) if pw else None, est=EST)
                f = r / ref if variant != "none" else 1.0
                o = out / f"{variant}-{EST}" / f"{w}-{fam}" / f"{s}-{rd.name}"
                prof = scaled(variant, f, o / "profile.json")
                real = lat(next(iter(sorted(rd.glob("result.json*")))))
                meta.append((w, fam, s, rd.name, r / ref, nb1, real, over))
                jobs.append((prof, trace, n, seed, rates, s, o))
    with ThreadPoolExecutor(2) as ex:
        sims = list(ex.map(lambda j: simulate(*j), jobs))
    print(f"variant {variant}, estimator {EST}; reference b1 ratio (calibration, engine clock) {ref:.3f}\n")
    print("| window | fam | server | b1 steps | factor |\n|---|---|---|---|---|")
    for m in meta:
        print(f"| {m[0]} | {m[1]} | {m[2]} {m[3]} | {m[5]} | {m[4]:.3f} |")
    cells = {}
    for m, sim in zip(meta, sims):
        w, fam, s, rep, _, _, real, over = m
        for rate in sim:
            for stat in ("mean", "p95"):
                c = cells.setdefault((w, fam, s, rate, stat), [[], [], over])
                c[0].append(1e3 * real[rate][stat]); c[1].append(1e3 * sim[rate][stat])
    print("\n| window | fam | scheduler | rate | stat | real (reps) | sim (reps) | ratio |\n|---|---|---|---|---|---|---|---|")
    tally = {}
    for (w, fam, s, rate, stat), (rv, sv, over) in sorted(cells.items()):
        q = (sum(sv) / len(sv)) / (sum(rv) / len(rv))
        ok = 0.75 <= q <= 1.25
        t = tally.setdefault(w, [0, 0, 0, 0, []])
        t[0] += ok; t[1] += 1; t[4].append(abs(math.log(q)))
        if rate == over:
            t[2] += ok; t[3] += 1
        print(f"| {w} | {fam} | {s} | {rate:g} | {stat} | {sum(rv)/len(rv):.1f} ({' / '.join(f'{v:.1f}' for v in rv)}) | "
              f"{sum(sv)/len(sv):.1f} ({' / '.join(f'{v:.1f}' for v in sv)}) | {q:.2f}{'' if ok else ' **miss**'} |")
    print()
    for w, t in tally.items():
        print(f"{variant}-{EST} {w}: within 25% {t[0]}/{t[1]}; overload {t[2]}/{t[3]}; mean |ln ratio| {sum(t[4])/len(t[4]):.3f}")


if __name__ == "__main__":
    main()
