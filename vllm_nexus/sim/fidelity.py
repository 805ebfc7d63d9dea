"""``vllm-nexus simulate fidelity``: the real tiny-model server vs the simulator, on a trace.

``vllm-nexus simulate fidelity --out DIR --workload coding-agent ...`` (run the real part
under the engine lock; ``--real-only`` stops after it, a second call with ``--skip-real``
simulates and reports):

1. calibrates ``cpu-here`` with the designed load of ``simulate calibrate`` on a fresh server
   (``--hardware calibrate``, the default: the calibration never sees the trace; ``fit`` fits
   the stock run's own steps instead; or name a preset/profile, e.g. another run's
   ``calibration.json``);
2. dumps one seeded trace (the ``bench`` workload arguments) and replays it with
   ``vllm-nexus bench`` against the real server for each scheduler and repetition
   (interleaved), at each ``--sweep-rates``, each rate on a fresh server (``--one-server``: in
   turn on one), with the same ``--engine-args``; every engine step is logged by a recording
   scheduler (wall and engine-clock time, request adds and finishes);
3. simulates the same trace, rates and engine limits with the hardware profile alone: **the
   prediction** (nothing of the predicted runs is used);
4. as a diagnostic only, simulates again at the machine speed measured during the real runs
   ("load-adjusted": the wall time of their engine steps over what the profile predicts for
   the same steps; this uses the predicted runs' own step times, so it is not a prediction);
5. writes ``fidelity.md``: mean and P95 program token latency (the target: within 25%) and
   mean program end-to-end latency, real (the mean over repetitions, or the median with
   ``--real-stat median``, and their range) vs simulated, and where a real call's time went
   (inside the engine: add to finish; outside: the rest); with >= 3 repetitions per cell, the
   run-to-run noise floor of the token-latency cells (:mod:`vllm_nexus.sim.noise_floor`): how
   often a perfect predictor would land in, and whether the prediction's misses exceed that.

Real results and step logs are read plain or gzipped (``result.json.gz``,
``steps/*.jsonl.gz``, as committed under docs/results/; the plain file wins), so a committed
window can be re-reported (``--skip-real``) or extended in place (a gzipped repetition counts
as done).

``--sweep DIR`` instead checks a finished ``examples/bench_sweep.py`` run.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vllm_nexus.bench import settings
from vllm_nexus.sim.calibrate import LOG_ENV, server_port, step_log_request_times
from vllm_nexus.sim.probe import Bracket
from vllm_nexus.sim.speed import server_tag

ENGINE_ARGS = "--max-num-seqs 8"
RECORDING = {
    "stock-fcfs": "vllm_nexus.sim.calibrate.RecordingScheduler",
    "vllm_nexus": "vllm_nexus.sim.calibrate.RecordingNexusScheduler",
}
"""Scheduler classes of the real runs: the same scheduling plus a per-step log."""
TARGET = 0.25
"""Issue 15: mean and P95 program token latency within 25% of the real engine."""
METRICS = (("program_token_latency_s", 1e3, "ms/tok"), ("program_e2e_s", 1.0, "s"))
"""What the report compares: (summary entry, display scale, unit)."""
REAL_STATS = {"mean": lambda v: sum(v) / len(v), "median": statistics.median}
"""``--real-stat``: how a cell's real value is formed from its repetitions' values."""


def _cli(*args: str) -> None:
    cmd = [sys.executable, "-m", "vllm_nexus.cli", *args]
    print("$", " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True)


def sweep_table(
    real: dict[str, dict],
    sim: dict[str, Path],
    metric: str = "program_e2e_s",
    target: float = 0.2,
    scale: float = 1.0,
    unit: str = "s",
    real_stat: str = "mean",
) -> tuple[str, list[float]]:
    """Markdown table: simulated vs real (``real_stat`` of :data:`REAL_STATS` over the
    repetitions' values, with their min-max) mean and P95 of ``metric`` (a summary entry, e.g.
    ``program_token_latency_s``; shown x ``scale`` in ``unit``) per scheduler and rate; the
    simulated value is the mean over its runs. Returns (table, |errors|)."""
    combine = REAL_STATS[real_stat]
    name = {"program_e2e_s": "e2e", "program_token_latency_s": "token lat."}.get(metric, metric)
    rule = f"{real_stat} of reps"
    lines = [
        f"| scheduler | rate (prog/s) | real reps | real mean {name} ({unit}), {rule} [min-max] "
        f"| sim mean | error | real P95 {name} ({unit}), {rule} [min-max] | sim P95 | error |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    errors: list[float] = []
    row: list[str] = []
    for label, rate, stat, reps, v in cell_values(real, sim, metric):
        r = combine(reps)
        err = (v - r) / r
        errors.append(abs(err))
        row.append(
            f"{r * scale:.2f} [{min(reps) * scale:.2f}-{max(reps) * scale:.2f}] | "
            f"{v * scale:.2f} | {err:+.0%}"
        )
        if stat == "p95":
            lines.append(f"| {label} | {rate:g} | {len(reps)} | {' | '.join(row)} |")
            row = []
    lines += [
        "",
        f"max |error| {max(errors):.0%}, mean |error| {sum(errors) / len(errors):.0%}; "
        f"{sum(e <= target for e in errors)}/{len(errors)} within {target:.0%}.",
    ]
    return "\n".join(lines) + "\n", errors


def cell_values(
    real: dict[str, dict], sim: dict[str, Path], metric: str
) -> Iterator[tuple[str, float, str, list[float], float]]:
    """The cells of a fidelity table: (scheduler, rate, ``mean`` or ``p95``, the real
    repetitions' values, the simulated value) per scheduler and rate that both sides have, the
    mean before the P95 of each. The simulated value is the mean over its runs (a prediction
    may hold one simulated run per real repetition: the speed-probed one)."""
    from vllm_nexus.bench import report

    for label, result in real.items():
        simulated = json.loads(report.read_text(sim[label]))
        sim_s = {stat: report.by_rate(simulated, f"{metric}.{stat}") for stat in ("mean", "p95")}
        real_s = {stat: report.by_rate(result, f"{metric}.{stat}") for stat in ("mean", "p95")}
        for rate in sorted(real_s["mean"]):
            if rate not in sim_s["mean"]:
                continue
            for stat in ("mean", "p95"):
                v = sim_s[stat][rate]
                yield label, rate, stat, real_s[stat][rate], sum(v) / len(v)


# bench_sweep scheduler name -> simulator scheduler name
SWEEP_SCHEDULERS = {"stock": "stock-fcfs", "mlfq": "vllm_nexus:mlfq", "plas": "vllm_nexus:plas",
                    "atlas": "vllm_nexus:atlas", "gittins": "vllm_nexus:gittins",
                    "default": "vllm_nexus"}  # fmt: skip


def check_sweep(sweep: Path, out: Path, hardware: str) -> str:
    """Out-of-sample check against a real ``examples/bench_sweep.py`` run (all its repetitions):
    simulate its trace, rates, engine limits and scheduler configs, compare mean/P95 e2e.
    Sweeps run each policy at its defaults; sweeps made before the levels became self-tuning
    ran with ``first_boundary = first_quantum = 256 x tokens_scale`` and are re-simulated
    here with the defaults."""
    import shlex

    from vllm_nexus.bench import report

    a = json.loads((sweep / "sweep.json").read_text())["args"]
    engine = shlex.split(a["engine_args"])
    # the sweep's engine limit, if it set one (otherwise the simulator's device default)
    limits = engine[engine.index("--max-num-seqs") :][:2] if "--max-num-seqs" in engine else []
    sections = []
    for wdir in sorted((sweep / "raw").glob("*")):
        real = {}
        for sdir in sorted(wdir.glob("*")):
            parts = [report.load_result(p) for _, p in finished_reps(sdir, "*")]
            if parts and sdir.name in SWEEP_SCHEDULERS:
                real[SWEEP_SCHEDULERS[sdir.name]] = report.merge_results(parts, sdir.name)
        rates = sorted(
            {r for res in real.values() for r in report.by_rate(res, "program_e2e_s.mean")}
        )
        sim_dir = out / f"sim-{wdir.name}"
        _cli(
            "simulate", "--trace", str(sweep / "traces" / f"{wdir.name}.jsonl"),
            "--sweep-rates", ",".join(f"{r:g}" for r in rates), "--seed", str(a["seed"]),
            "--think-scale", str(a["think_scale"]), "--hardware", hardware, "--model", "tiny",
            "--scheduler", ",".join(real), *limits,
            "--out", str(sim_dir), "--no-progress", "--no-plots",
        )  # fmt: skip
        sim = {label: sim_dir / label.replace(":", "-") / "result.json" for label in real}
        table, _ = sweep_table(real, sim)
        sections.append(f"### {wdir.name}\n\n{table}")
    text = "\n".join(sections)
    (out / "fidelity-sweep.md").write_text(text)
    return text


def add_arguments(p: argparse.ArgumentParser) -> None:
    from vllm_nexus.bench import cli_common

    w = cli_common.add_workload_arguments(p)
    w.set_defaults(workload="mixed", programs=40, calls_scale=0.25, tokens_scale=0.25,
                   think_scale=0.3, sweep_rates="1,3")  # fmt: skip
    e = p.add_argument_group("fidelity")
    e.add_argument("--out", required=True, help="directory (reused: existing runs are kept)")
    e.add_argument(
        "--engine-args",
        default=ENGINE_ARGS,
        help="`vllm serve` engine arguments, or a named setting (batch-bound, kv-bound)",
    )
    e.add_argument(
        "--schedulers",
        default="stock-fcfs,vllm_nexus",
        help="stock-fcfs, vllm_nexus (default policy) or vllm_nexus:POLICY, comma-separated",
    )
    e.add_argument("--reps", type=int, default=1, help="real repetitions (interleaved)")
    e.add_argument(
        "--hardware",
        default="calibrate",
        help="calibrate: the designed load on fresh servers first (default); bracket: the "
        "same before the real runs and again after them, predicting with the midpoint of the "
        'two (for a host whose speed drifts; docs/simulator.md, "The bracketing '
        'protocol"); interleave: bracket plus a one-server calibration before every later '
        "repetition, predicting with the centre of them all (docs/simulator.md, "
        '"Interleaved calibrations"); fit: the stock run\'s own steps; or a preset name / '
        "profile path",
    )
    e.add_argument(
        "--speed-probe",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="diagnostic (not adopted, 2026-12-05 (c)): time a few one-request decode calls on "
        "each fresh real server before and after its trace (~2 s each) and add the "
        "speed-probed prediction: the profile scaled by that server's speed (the geometric "
        'mean of the two probes) over its calibration server\'s (needs a profile with a "speed_probe" '
        "reference; docs/simulator.md)",
    )
    e.add_argument(
        "--one-server",
        action="store_true",
        help="replay every rate of a repetition on one server, in turn (before 2026-12-05 (g): "
        "a later rate then inherits the earlier ones' learned sizes and built kernels); by "
        "default each rate gets a fresh server, as each simulated rate starts afresh",
    )
    e.add_argument(
        "--call-by-call",
        action="store_true",
        help="also replay each real repetition's send times into the simulator (`simulate "
        "--send-times`) and compare every call's time to first token and end to end with "
        "the same real call (one more simulation per repetition and scheduler; "
        'docs/simulator.md, "Call by call")',
    )
    e.add_argument("--skip-real", action="store_true", help="reuse the real runs in --out")
    e.add_argument(
        "--real-stat",
        choices=sorted(REAL_STATS),
        default="mean",
        help="a table cell's real value: the mean (default) or the median over its "
        "repetitions' values (the median: one slow server does not decide the cell; "
        "docs/simulator.md)",
    )
    e.add_argument(
        "--real-only",
        action="store_true",
        help="calibrate (if asked) and run the real servers, then stop (no simulation: keep "
        "the engine lock short; report later with --skip-real)",
    )
    e.add_argument("--sweep", metavar="DIR", help="instead: check a bench_sweep.py run")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(p)
    return run(p.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.sweep:
        hw = "cpu-here" if args.hardware in ("calibrate", *BRACKETS, "fit") else args.hardware
        print(check_sweep(Path(args.sweep), out, hw))
        return 0
    schedulers = [s.strip() for s in args.schedulers.split(",") if s.strip()]
    args.engine_args = settings.ENGINE_SETTINGS.get(args.engine_args, args.engine_args)
    trace = _dump_trace(args, out)
    if args.hardware == "calibrate":
        _calibrate_once(out, "calibration")
    if args.hardware in BRACKETS:
        if args.skip_real and not (out / "calibration-end.json").exists():
            print(f"vllm-nexus simulate fidelity: error: --hardware {args.hardware}: {out} has "
                  "no calibration-end.json; the end calibration is made right after the real "
                  "runs, so run without --skip-real", file=sys.stderr)  # fmt: skip
            return 2
        _calibrate_once(out, "calibration-start")
    if not args.skip_real:
        for rep in range(args.reps):
            if rep and args.hardware == "interleave":
                _calibrate_once(out, f"calibration-rep{rep}", servers=INTERLEAVED_SERVERS)
            for sched in schedulers[rep % len(schedulers) :] + schedulers[: rep % len(schedulers)]:
                _real_run(args, out, trace, sched, rep)
        if args.hardware in BRACKETS:
            _calibrate_once(out, "calibration-end")
    loops = "\n".join(client_loop_lines(out, schedulers)) + "\n"
    (out / "client-loop.md").write_text(loops)
    if args.real_only:
        return 0
    hardware = _hardware(args, out)
    real = _real_results(out, schedulers)
    text = _report(args, out, trace, hardware, real, loops)
    (out / "fidelity.md").write_text(text)
    print(text)
    return 0


def _dump_trace(args: argparse.Namespace, out: Path) -> Path:
    trace = out / "trace.jsonl"
    if args.trace:
        return Path(args.trace)
    if not trace.exists():
        gen = ["bench", "--workload", args.workload, "--programs", str(args.programs),
               "--seed", str(args.seed), "--calls-scale", str(args.calls_scale),
               "--tokens-scale", str(args.tokens_scale), "--arrival-cv", str(args.arrival_cv),
               "--rate", "1", "--dump-trace", str(trace)]  # fmt: skip
        if args.max_context_tokens is not None:
            gen += ["--max-context-tokens", str(args.max_context_tokens)]
        _cli(*gen)
    return trace


def _policy_config(sched: str) -> list[str]:
    from vllm_nexus.sim.engine import parse_scheduler

    kind, policy = parse_scheduler(sched)
    if kind not in RECORDING:
        raise SystemExit(f"fidelity: no real counterpart for scheduler {sched!r}")
    args = ["--scheduler-cls", RECORDING[kind]]
    if policy is not None:
        cfg = {"vllm_nexus": {"scheduler": {"policy": policy}}}
        args += ["--additional-config", json.dumps(cfg)]
    return args


def _real_run(args: argparse.Namespace, out: Path, trace: Path, sched: str, rep: int) -> None:
    """One repetition of ``sched``: the trace replayed at every rate, each rate on a fresh
    server (``--one-server``: all rates on one server, in turn); skipped if done, and a
    server-per-rate repetition resumes at its first unfinished rate.

    A fresh server per rate makes each cell its own measurement, as the simulator's are
    (``simulate --sweep-rates`` starts each rate from an empty engine): on one server a later
    rate inherits the earlier rates' learned program sizes and built kernels (window M,
    docs/results/fidM-2026-12-05f)."""
    from vllm_nexus.bench import cli_common, report

    name = sched.replace(":", "-")
    dest = out / "real" / name / f"rep{rep}"
    if rep_done(dest):
        return
    log = out / "steps" / f"{name}-rep{rep}.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    # bench's own reading (validated, sorted): rate i here is rate i of a one-server sweep
    rates = [f"{r:g}" for r in cli_common.rates(args)]
    probe_tag = server_tag(0) if args.speed_probe else None
    if args.one_server or len(rates) == 1:
        log.write_text("")
        _serve_and_replay(args, out, trace, sched, args.sweep_rates, f"fidelity-{name}-{rep}",
                          dest, log, f"{name}-rep{rep}", probe_tag)  # fmt: skip
        return
    parts = [dest / f"rate{i}" for i in range(len(rates))]
    if not any(rep_done(p) for p in parts):
        log.write_text("")  # (a run cut short leaves steps outside every run's window: harmless)
    for i, (rate, part) in enumerate(zip(rates, parts, strict=True)):
        if not rep_done(part):
            # the salt a one-server sweep gives its i-th rate: the same prompts and program ids
            _serve_and_replay(args, out, trace, sched, rate, f"fidelity-{name}-{rep}-{i}", part,
                              log, f"{name}-rep{rep}-rate{i}",
                              server_tag(i) if args.speed_probe else None)  # fmt: skip
    merged = [report.load_result(report.plain_or_gz(p / "result.json")) for p in parts]
    report.save_result(report.merge_results(merged, sched), dest / "result.json")


def _serve_and_replay(
    args: argparse.Namespace, out: Path, trace: Path, sched: str, rates: str, salt: str,
    dest: Path, log: Path, tag: str, probe_tag: str | None,
) -> None:  # fmt: skip
    """A fresh server for ``sched`` (its steps appended to ``log``, its own log
    ``server-TAG.log``, the machine sampled around it into ``machine/`` under the step log's
    name), the trace replayed on it at ``rates`` by ``vllm-nexus bench`` into ``dest``; with
    ``probe_tag`` (not None) the speed probe runs right before and after the trace, its
    markers suffixed with it (:func:`vllm_nexus.sim.speed.server_tag`)."""
    from vllm_nexus.serving.launcher import VllmServer
    from vllm_nexus.serving.tiny_model import build_tiny_model
    from vllm_nexus.sim.speed import run_probe

    model = build_tiny_model(Path(tempfile.gettempdir()) / "vllm-nexus-tiny")
    server_args = [*shlex.split(args.engine_args), *_policy_config(sched)]
    server = VllmServer(str(model), port=server_port(), use_cli=False, args=server_args,
                        env={LOG_ENV: str(log)}, log_path=out / f"server-{tag}.log",
                        startup_timeout_s=900)  # fmt: skip
    # the machine's speed right before and after the run (probe samples taken here, not in a
    # process beside the run: that competes with the bench client for the CPUs): the
    # probe-rescaled prediction
    with Bracket(out / "machine" / log.name), server:
        if probe_tag is not None:  # before the trace: the prediction may use it (not its steps)
            run_probe(server.base_url, server.model, log, tag=probe_tag)
        _cli(
            "bench", "--base-url", server.base_url, "--trace", str(trace),
            "--programs", str(args.programs), "--sweep-rates", rates,
            "--seed", str(args.seed), "--arrival-cv", str(args.arrival_cv),
            "--think-scale", str(args.think_scale), "--label", sched,
            "--run-salt", salt, "--out", str(dest), "--no-progress", "--no-plots",
        )  # fmt: skip
        if probe_tag is not None:  # and after it: the two ends bracket the run's speed
            run_probe(server.base_url, server.model, log, after=True, tag=probe_tag)


def rep_done(rep_dir: Path) -> bool:
    """Whether a real repetition is finished: its ``result.json`` or (committed)
    ``result.json.gz`` exists. The runner skips finished repetitions."""
    from vllm_nexus.bench import report

    return report.plain_or_gz(rep_dir / "result.json") is not None


def _numbered(path: Path) -> tuple[str, int, str]:
    """Sort key: ``rep2`` before ``rep10`` (the name's trailing number, then the name)."""
    stem = path.name.rstrip("0123456789")
    digits = path.name[len(stem) :]
    return (stem, int(digits) if digits else -1, path.name)


def finished_reps(parent: Path, pattern: str = "rep*") -> list[tuple[Path, Path]]:
    """(directory, result file: plain, else gzipped) of each finished repetition directory
    matching ``pattern`` under ``parent``, in repetition order (``rep2`` before ``rep10``)."""
    from vllm_nexus.bench import report

    found = []
    for rep_dir in sorted(parent.glob(pattern), key=_numbered):
        path = report.plain_or_gz(rep_dir / "result.json")
        if path is not None:
            found.append((rep_dir, path))
    return found


def client_loop_lines(out: Path, schedulers: list[str]) -> list[str]:
    """Markdown table of the ``bench`` client's own event-loop stalls (``client_loop`` in
    result.json) in each real run: a run with stalls measured its client's delays too, in its
    tail first (docs/results/stalls-2026-12-04)."""
    from vllm_nexus.bench import report

    lines = [
        "| scheduler | rep | rate | client stalls | stalled (s) | largest (s) | waiting for "
        "a CPU (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    runs = stalled = 0
    for sched in schedulers:
        for rep_dir, path in finished_reps(out / "real" / sched.replace(":", "-")):
            for run in json.loads(report.read_text(path))["runs"]:
                runs += 1
                loop = run.get("client_loop")
                if loop:
                    stalled += loop["stalls"] > 0
                    wait = loop.get("run_queue_s")
                    cells = [str(loop["stalls"]), f"{loop['stall_s']:.2f}",
                             f"{loop['max_stall_s']:.2f}", "-" if wait is None else f"{wait:.2f}"]  # fmt: skip
                else:
                    cells = ["not recorded", "-", "-", "-"]
                lines.append(
                    f"| {sched} | {rep_dir.name} | {float(run['rate']):g} | {' | '.join(cells)} |"
                )
    lines += ["", f"{stalled} of {runs} runs had client stalls."]
    return lines


BRACKETS = ("bracket", "interleave")
"""``--hardware`` protocols that calibrate at both ends of the real runs."""
INTERLEAVED_SERVERS = 1
"""Servers of each calibration that ``--hardware interleave`` makes between repetitions: one
(about 2 minutes here), so that a window of six repetitions grows by about a quarter rather
than doubling; the centre over all of a window's calibrations, not one server's fit, sets the
prediction, and the calibrations at the two ends keep the default three servers' median."""


def _calibrate_once(out: Path, name: str, servers: int | None = None) -> None:
    """Calibrate into ``out/<name>.json`` (step log ``<name>-steps.jsonl``) unless ``out``
    already holds it (a resumed window keeps its calibrations): ``calibration`` for
    ``--hardware calibrate``, ``calibration-start`` and ``calibration-end`` at the two ends
    of the real runs for ``bracket`` and ``interleave``, and ``calibration-rep<N>`` before
    repetition N for ``interleave`` (``servers``: ``calibrate --servers``)."""
    if not (out / f"{name}.json").exists():
        more = ["--servers", str(servers)] if servers else []
        _cli("simulate", "calibrate", "--out", str(out / f"{name}.json"),
             "--log", str(out / f"{name}-steps.jsonl"), *more)  # fmt: skip


def interleaved_calibrations(out: Path) -> list[Path]:
    """A window's calibrations in the order they were made: ``calibration-start.json``, the
    ``calibration-rep<N>.json`` of ``--hardware interleave`` by N, ``calibration-end.json``."""
    reps = sorted(out.glob("calibration-rep*.json"), key=lambda p: _numbered(p.with_suffix("")))
    return [out / "calibration-start.json", *reps, out / "calibration-end.json"]


def _hardware(args: argparse.Namespace, out: Path) -> str:
    if args.hardware == "calibrate":
        return str(out / "calibration.json")
    if args.hardware in BRACKETS:  # the centre of the calibrations at both ends (and between)
        from vllm_nexus.sim.calibrate import midpoint_doc

        if args.hardware == "bracket":
            doc = midpoint_doc(out / "calibration-start.json", out / "calibration-end.json")
            path = out / "calibration-mid.json"
        else:
            doc = midpoint_doc(*interleaved_calibrations(out))
            path = out / "calibration-centre.json"
        path.write_text(json.dumps(doc, indent=1) + "\n")
        return str(path)
    if args.hardware == "fit":
        from vllm_nexus.bench import report

        profile = out / "fit-stock.json"
        log = out / "steps" / "stock-fcfs-rep0.jsonl"
        _cli("simulate", "calibrate", "--from-log", str(report.plain_or_gz(log) or log),
             "--out", str(profile))  # fmt: skip
        return str(profile)
    return args.hardware


def _real_results(out: Path, schedulers: list[str]) -> dict[str, dict]:
    from vllm_nexus.bench import report

    real = {}
    for sched in schedulers:
        parts = [path for _, path in finished_reps(out / "real" / sched.replace(":", "-"))]
        if parts:
            real[sched] = report.merge_results([report.load_result(p) for p in parts], sched)
    return real


def _logged_reps(out: Path, sched: str) -> Iterator[tuple[str, Path, dict]]:
    """``(repetition name, step log, real result)`` of each finished real repetition of
    ``sched`` that left a step log (each file plain, else gzipped)."""
    from vllm_nexus.bench import report

    name = sched.replace(":", "-")
    for rep_dir, path in finished_reps(out / "real" / name):
        log = report.plain_or_gz(out / "steps" / f"{name}-{rep_dir.name}.jsonl")
        if log is not None:
            yield rep_dir.name, log, json.loads(report.read_text(path))


def _machine(out: Path, sched: str, hardware: str, real: dict) -> dict[float, tuple[float, float]]:
    """Per rate: (slowdown, contention) of a scheduler's real runs, means over repetitions.
    Slowdown: the wall time of the engine steps of the run over what the hardware profile
    predicts for the same steps (the machine's speed during the run, against the
    calibration's); contention: wall time over engine-clock time (waiting for a CPU)."""
    from vllm_nexus.perf.hardware import get_hardware
    from vllm_nexus.perf.latency import StepLatencyModel
    from vllm_nexus.perf.models import get_model
    from vllm_nexus.sim.calibrate import contention, read_log

    lat = StepLatencyModel(get_hardware(hardware), get_model("tiny"))
    found: dict[float, list[tuple[float, float]]] = {}
    for _, log, result in _logged_reps(out, sched):
        for run in result["runs"]:
            window = tuple(run["wall_clock"]) if "wall_clock" in run else None
            steps, _ = read_log(log, "wall", window)
            if not steps:
                continue
            slow = sum(t for _, t in steps) / sum(lat.step_time(*c) for c, _ in steps)
            try:
                cont = contention(log, window)
            except ValueError:  # a log without engine-clock times
                cont = float("nan")
            found.setdefault(float(run["rate"]), []).append((slow, cont))
    return {
        r: (sum(v[0] for v in vs) / len(vs), sum(v[1] for v in vs) / len(vs))
        for r, vs in found.items()
    }


def _slowed(profile: str, factor: float, dest: Path) -> str:
    """A copy of a hardware profile with every time constant slowed by ``factor`` (the time
    outside the engine too: the API server and client share the machine)."""
    from vllm_nexus.perf.hardware import get_hardware
    from vllm_nexus.perf.latency import OVERHEAD_FIELDS

    hw = get_hardware(profile)
    fields = (*OVERHEAD_FIELDS, "request_overhead_s", "request_token_overhead_s",
              "frontend_ingress_queued_s", "resumed_call_delay_s", "call_send_latency_s",
              "call_return_latency_s")  # fmt: skip
    changes: dict[str, Any] = {f: getattr(hw, f) * factor for f in fields}
    # ``factor`` is the whole measured slowdown, the frontend's share included: no stretch
    # on top (it would count the frontend twice)
    changes.update(
        peak_flops=hw.peak_flops / factor,
        mem_bw=hw.mem_bw / factor,
        frontend_engine_stretch=1.0,
        frontend_prefill_stretch=1.0,
        frontend_step_delay_s=0.0,
        frontend_stream_delay_s=0.0,
        frontend_call_delay_s=0.0,
    )
    slowed = hw.with_updates(**changes, source=f"{hw.source}; slowed x{factor:.3f}")
    dest.write_text(json.dumps({"hardware": slowed.to_dict()}, indent=1) + "\n")
    return str(dest)


def probe_factors(out: Path, sched: str, hardware: str) -> dict[float, float]:
    """Per rate: the machine's speed around (or, in runs made before 2026-12-04b, during)
    ``sched``'s real runs over its speed around the calibration (median probe samples,
    :func:`vllm_nexus.sim.probe.run_speed`; mean over repetitions). Empty when the profile or
    the runs have no samples."""
    from vllm_nexus.bench import report
    from vllm_nexus.sim.probe import read_samples, run_speed

    try:
        machine = json.loads(Path(hardware).read_text()).get("machine") or {}
    except (OSError, ValueError):
        return {}
    ref = machine.get("python_ms")
    if not ref:
        return {}
    name = sched.replace(":", "-")
    found: dict[float, list[float]] = {}
    for rep_dir, result in finished_reps(out / "real" / name):
        path = report.plain_or_gz(out / "machine" / f"{name}-{rep_dir.name}.jsonl")
        if path is None:
            continue
        rows = read_samples(path)
        for run in json.loads(report.read_text(result))["runs"]:
            if "wall_clock" not in run:
                continue
            speed = run_speed(rows, *run["wall_clock"])
            if speed is not None:
                found.setdefault(float(run["rate"]), []).append(speed / ref)
    return {r: sum(v) / len(v) for r, v in found.items()}


def _simulate_probe_rescaled(
    args: argparse.Namespace, out: Path, trace: Path, hardware: str, sched: str,
    factors: dict[float, float],
) -> Path:  # fmt: skip
    """Each rate simulated with the profile rescaled by the machine's speed measured beside
    that rate's real run (:func:`probe_factors`); the runs merged into one result file."""
    from vllm_nexus.bench import report
    from vllm_nexus.perf.hardware import get_hardware
    from vllm_nexus.sim.probe import rescale

    name = sched.replace(":", "-")
    parts = []
    for rate, f in sorted(factors.items()):
        prof = out / f"hardware-{name}-{rate:g}-probe.json"
        # the probe times interpreter work; the forward pass's arithmetic varied far less
        # (matmul probe 1.2x where the Python loop varied 1.7x): FLOP rate and bandwidth kept
        hw = rescale(get_hardware(hardware), f, 1.0)
        prof.write_text(json.dumps({"hardware": hw.to_dict()}, indent=1) + "\n")
        dest = out / "sim-probe-rescaled" / f"rate{rate:g}"
        parts.append(
            report.load_result(_simulate(args, trace, str(prof), sched, dest, f"{rate:g}"))
        )
    path = out / "sim-probe-rescaled" / name / "result.json"
    report.save_result(report.merge_results(parts, sched), path)
    return path


def _profile_file(hardware: str) -> Path | None:
    """The profile file behind ``--hardware`` (a path, or the file a preset name resolves
    to on this host), or None (a built-in preset)."""
    if Path(hardware).is_file():
        return Path(hardware)
    from vllm_nexus.perf.hardware import resolve_hardware

    try:
        return resolve_hardware(hardware, warn=False).path
    except (KeyError, ValueError):
        return None


def speed_factors(
    out: Path, sched: str, hardware: str
) -> tuple[dict[str, dict[float, float]], str]:
    """Per real repetition of ``sched`` whose step log holds the speed probe, per rate: the
    speed factor of the server that ran that rate against the profile's calibration server
    (:func:`vllm_nexus.sim.speed.speed_factor`; with probes before and after the trace, of
    their geometric mean, :func:`vllm_nexus.sim.speed.bracket_ratio`); and, when there are
    none, why. A rate whose server left no probe of its own (one server for all rates; runs
    made before 2026-12-06 (b), which probed the first rate's server only) takes the first
    rate's."""
    from vllm_nexus.perf.hardware import load_profile
    from vllm_nexus.sim.speed import (
        bracket_ratio,
        log_ratio,
        probe_windows,
        profile_reference,
        speed_factor,
    )

    path = _profile_file(hardware)
    ref = profile_reference(path) if path is not None else None
    if path is None or ref is None:
        return {}, f"the profile `{hardware}` records no speed-probe reference"
    hw = load_profile(path)
    found: dict[str, dict[float, float]] = {}
    for rep, log, result in _logged_reps(out, sched):
        rates = list(dict.fromkeys(float(r["rate"]) for r in result["runs"]))
        first = probe_windows(log, server_tag(0))
        if not first:
            continue
        for i, rate in enumerate(rates):
            windows = (probe_windows(log, server_tag(i)) if i else []) or first
            try:
                now = bracket_ratio([log_ratio(log, hw, (a, b)).ratio for a, b, _ in windows])
                found.setdefault(rep, {})[rate] = speed_factor(now, ref["ratio"])
            except ValueError as e:  # too few probe steps, a factor out of range
                return {}, f"{sched} {rep} at {rate:g}/s: {e}"
    return found, "" if found else f"no real run of {sched} was speed-probed"


def _simulate_speed_probed(
    args: argparse.Namespace, out: Path, trace: Path, hardware: str, sched: str,
    factors: dict[str, dict[float, float]],
) -> Path:  # fmt: skip
    """Each real repetition's run at each rate simulated with the profile scaled by the
    speed factor of the server that ran it (:func:`vllm_nexus.sim.speed.scale_profile`),
    merged into one result file (one simulated repetition per real one)."""
    from vllm_nexus.bench import report
    from vllm_nexus.perf.hardware import load_profile
    from vllm_nexus.sim.speed import scale_profile

    path_in = _profile_file(hardware)
    assert path_in is not None  # speed_factors found a reference in it
    name = sched.replace(":", "-")
    parts = []
    for rep, by_rate in sorted(factors.items()):
        for rate, f in sorted(by_rate.items()):
            prof = out / f"hardware-{name}-{rep}-{rate:g}-speed.json"
            hw = scale_profile(load_profile(path_in), f)
            prof.write_text(json.dumps({"hardware": hw.to_dict()}, indent=1) + "\n")
            dest = out / "sim-speed" / rep / f"rate{rate:g}"
            parts.append(
                report.load_result(_simulate(args, trace, str(prof), sched, dest, f"{rate:g}"))
            )
    path = out / "sim-speed" / name / "result.json"
    report.save_result(report.merge_results(parts, sched), path)
    return path


def _simulate(args: argparse.Namespace, trace: Path, hardware: str, sched: str, dest: Path,
              rates: str | None = None, extra: tuple[str, ...] = ()) -> Path:  # fmt: skip
    _cli(
        "simulate", "--trace", str(trace), "--programs", str(args.programs),
        "--sweep-rates", rates or args.sweep_rates, "--seed", str(args.seed),
        "--arrival-cv", str(args.arrival_cv), "--think-scale", str(args.think_scale),
        "--hardware", hardware, "--model", "tiny", "--scheduler", sched,
        *settings.sim_engine_flags(args.engine_args), "--out", str(dest), "--no-progress",
        "--no-plots", *extra,
    )  # fmt: skip
    return dest / sched.replace(":", "-") / "result.json"


def _simulate_at_measured_speed(
    args: argparse.Namespace, out: Path, trace: Path, hardware: str, sched: str,
    machine: dict[float, tuple[float, float]],
) -> Path:  # fmt: skip
    """Each rate simulated with the profile slowed by that rate's measured slowdown; the
    runs merged into one result file."""
    from vllm_nexus.bench import report

    name = sched.replace(":", "-")
    parts = []
    for rate, (slow, _) in sorted(machine.items()):
        prof = _slowed(hardware, slow, out / f"hardware-{name}-{rate:g}-slowed.json")
        dest = out / "sim-measured-speed" / f"rate{rate:g}"
        parts.append(report.load_result(_simulate(args, trace, prof, sched, dest, f"{rate:g}")))
    path = out / "sim-measured-speed" / name / "result.json"
    report.save_result(report.merge_results(parts, sched), path)
    return path


def _call_by_call_lines(
    args: argparse.Namespace, out: Path, trace: Path, hardware: str, schedulers: list[str]
) -> list[str]:
    """The call-by-call table: per scheduler, each finished real repetition's send times
    replayed (``simulate --send-times``, into ``call-by-call/<scheduler>/<rep>/``), then
    :func:`vllm_nexus.sim.callwise.compare` per rate over the repetitions."""
    from vllm_nexus.bench import report
    from vllm_nexus.sim.callwise import compare, run_at

    lines = [
        "| scheduler | rate | calls | n | TTFT sim / real (s) | ratio | end to end sim / real "
        "(s) | ratio | late sends |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for sched in schedulers:
        name = sched.replace(":", "-")
        pairs: dict[float, list[tuple[dict, dict]]] = {}
        late: dict[float, int] = {}
        for rep_dir, path in finished_reps(out / "real" / name):
            real = report.load_result(path)
            dest = out / "call-by-call" / name / rep_dir.name
            sim = report.load_result(
                _simulate(args, trace, hardware, sched, dest, extra=("--send-times", str(path)))
            )
            for run in real.get("runs") or []:
                rate = float(run["rate"])
                srun = run_at(sim, rate)
                pairs.setdefault(rate, []).append((run, srun))
                late[rate] = late.get(rate, 0) + int(
                    (srun.get("simulation") or {}).get("late_sends", 0)
                )
        for rate in sorted(pairs):
            for group, c in compare(pairs[rate]).items():
                lines.append(
                    f"| {sched} | {rate:g} | {group} | {c['calls']:.0f} | "
                    f"{c['ttft_sim_s']:.3f} / {c['ttft_real_s']:.3f} | {c['ttft_ratio']:.2f} | "
                    f"{c['e2e_sim_s']:.3f} / {c['e2e_real_s']:.3f} | {c['e2e_ratio']:.2f} | "
                    f"{late[rate] if group == 'all calls' else ''} |"
                )
    return lines


def call_time_split(log: Path, result: dict) -> dict[float, tuple[float, float, int]]:
    """Per rate of a real run: (mean client call time send to end, mean engine time add to
    finish, calls); the difference is the time a call spends outside the engine (HTTP,
    tokenisation, queues in the API server, streaming). Engine requests are those added
    within the run's wall-clock window."""
    adds, fins = step_log_request_times(log)
    out = {}
    for run in result["runs"]:
        if "wall_clock" not in run:
            continue
        w0, w1 = run["wall_clock"]
        engine = [fins[r] - t for r, t in adds.items() if w0 <= t <= w1 and r in fins]
        calls = [c for p in run["programs"] for c in p["calls"] if c.get("end_s") is not None]
        if engine and calls:
            client = sum(c["end_s"] - c["send_s"] for c in calls) / len(calls)
            out[float(run["rate"])] = (client, sum(engine) / len(engine), len(calls))
    return out


def _metric_tables(
    real: dict[str, dict], predicted: dict[str, Path], label: str, real_stat: str = "mean"
) -> list[str]:
    """One report section per metric in ``METRICS``: the real runs (``real_stat`` over their
    repetitions) against ``predicted``."""
    return [
        f"#### {label}: `{metric}`\n\n"
        + sweep_table(real, predicted, metric, TARGET, scale, unit, real_stat)[0]
        for metric, scale, unit in METRICS
    ]


def floor_section(
    real: dict[str, dict],
    predicted: dict[str, Path],
    real_stat: str = "mean",
    metric: str = "program_token_latency_s",
) -> str:
    """Report section: the prediction's cells of ``metric`` (the target's: mean and P95
    program token latency) against the run-to-run noise floor of the real repetitions
    (:mod:`vllm_nexus.sim.noise_floor`): per cell the chance a perfect predictor lands within
    :data:`TARGET`, and whether the prediction's misses are more than the spread explains."""
    from vllm_nexus.sim import noise_floor

    head = f"#### Run-to-run noise floor: `{metric}`\n\n"
    cells = list(cell_values(real, predicted, metric))
    counts = sorted({len(reps) for *_, reps, _ in cells})
    if not cells or counts[0] < noise_floor.MIN_REPS or len(counts) > 1:
        return head + (
            f"Not computed: it needs the same number (>= {noise_floor.MIN_REPS}) of real "
            f"repetitions in every cell; these have {counts or 'none'} (`--reps`)."
        )
    combine = REAL_STATS[real_stat]
    scale, unit = next((sc, u) for m, sc, u in METRICS if m == metric)
    r = noise_floor.reading(
        [reps for *_, reps, _ in cells], [v for *_, v in cells], TARGET, combine
    )
    lines = [
        "What a *perfect* predictor (one that outputs exactly the real statistic of the "
        "population these repetitions come from) would score, from the repetitions alone: "
        f"{noise_floor.DRAWS:,} bootstrap resamples of the repetitions, one resample shared by "
        'every cell (docs/simulator.md, "The noise floor").',
        "",
        f"| scheduler | rate (prog/s) | cell | real reps, in order ({unit}) | {real_stat} "
        "| sim / real | P(perfect in) |",
        "|---|---|---|---|---|---|---|",
    ]
    for (label, rate, stat, reps, v), chance in zip(cells, r.chances, strict=True):
        real_v = combine(reps)
        miss = "" if noise_floor.within(v, real_v, TARGET) else " **miss**"
        lines.append(
            f"| {label} | {rate:g} | {stat} | {' / '.join(f'{x * scale:.1f}' for x in reps)} | "
            f"{real_v * scale:.1f} | {v / real_v:.2f}{miss} | {chance:.2f} |"
        )
    verdict = (
        "consistent with the noise floor: the misses are within what the repetitions' spread "
        "explains"
        if r.consistent
        else "**not** consistent with the noise floor: more misses than the repetitions' "
        "spread explains (a model or calibration miss)"
    )
    lines += [
        "",
        f"- prediction: {r.cells_in} of {r.cells} cells within {TARGET:.0%}",
        f"- perfect predictor: {r.expected_in:.1f} cells in on average; P(all {r.cells} in) "
        f"{r.p_all_in:.2f}",
        f"- P(at most {r.cells_in} in | perfect predictor, cells independent) = "
        f"{r.p_at_most:.3f}: {verdict} (threshold {noise_floor.CONSISTENT_P}).",
    ]
    return head + "\n".join(lines)


def _split_lines(out: Path, real: dict[str, dict], sim: dict[str, Path]) -> list[str]:
    from vllm_nexus.bench import report

    lines = [
        "| scheduler | rate | real call time (ms) | real in engine (ms) | real outside (ms) "
        "| sim call time (ms) |",
        "|---|---|---|---|---|---|",
    ]
    for sched in real:
        sim_calls: dict[float, float] = {}
        for run in json.loads(report.read_text(sim[sched]))["runs"]:
            calls = [c for p in run["programs"] for c in p["calls"] if c.get("end_s") is not None]
            sim_calls[float(run["rate"])] = sum(c["end_s"] - c["send_s"] for c in calls) / max(
                1, len(calls)
            )
        for rep, log, result in _logged_reps(out, sched):
            split = call_time_split(log, result)
            for rate, (client, engine, _) in sorted(split.items()):
                lines.append(
                    f"| {sched} ({rep}) | {rate:g} | {client * 1e3:.0f} | "
                    f"{engine * 1e3:.0f} | {(client - engine) * 1e3:.0f} | "
                    f"{sim_calls.get(rate, float('nan')) * 1e3:.0f} |"
                )
    return lines


def _class_lines(out: Path, real: dict[str, dict], hardware: str) -> list[str]:
    """Per scheduler, repetition and rate: the real engine steps (engine clock) over the
    profile's prediction for the same steps, by step class
    (:func:`~vllm_nexus.sim.fit.step_classes`): which steps the profile misses."""
    from vllm_nexus.perf.hardware import get_hardware
    from vllm_nexus.perf.latency import StepLatencyModel
    from vllm_nexus.perf.models import get_model
    from vllm_nexus.sim.fit import STEP_CLASSES, read_log, step_classes

    lat = StepLatencyModel(get_hardware(hardware), get_model("tiny"))
    lines = [
        "| scheduler | rate | " + " | ".join(STEP_CLASSES) + " | all |",
        "|---|---|" + "---|" * (len(STEP_CLASSES) + 1),
    ]
    for sched in real:
        for rep, log, result in _logged_reps(out, sched):
            for run in result["runs"]:
                window = tuple(run["wall_clock"]) if "wall_clock" in run else None
                try:
                    steps, _ = read_log(log, "engine", window)
                except ValueError:  # a log without engine-clock times
                    continue
                by = step_classes(steps, lat.step_time)
                cells = [
                    f"{by[c][1] / by[c][2]:.2f} ({by[c][0]})" if c in by else "-"
                    for c in STEP_CLASSES
                ]
                tot = sum(v[1] for v in by.values()) / max(1e-12, sum(v[2] for v in by.values()))
                lines.append(
                    f"| {sched} ({rep}) | {float(run['rate']):g} | "
                    + " | ".join(cells)
                    + f" | {tot:.2f} ({len(steps)}) |"
                )
    return lines


def _report(
    args: argparse.Namespace,
    out: Path,
    trace: Path,
    hardware: str,
    real: dict[str, dict],
    loops: str = "",
) -> str:
    stat = args.real_stat
    alone = {s: _simulate(args, trace, hardware, s, out / "sim-alone") for s in real}
    sections = [
        f"Trace `{trace}`; engine `{args.engine_args}`; hardware `{hardware}`; rates "
        f"{args.sweep_rates}; think scale {args.think_scale}; a cell's real value: the "
        f"{stat} over its repetitions (`--real-stat {stat}`).",
        "#### The bench client's own event-loop stalls (> 50 ms) in the real runs\n\n" + loops,
    ]
    sections += _metric_tables(real, alone, "Prediction (hardware profile only)", stat)
    sections.append(floor_section(real, alone, stat))
    speed = {s: speed_factors(out, s, hardware) for s in real}
    if all(found for found, _ in speed.values()):
        probed = {
            s: _simulate_speed_probed(args, out, trace, hardware, s, speed[s][0]) for s in real
        }
        sections.append(
            "#### Speed-probed prediction\n\n"
            "Each real server's speed, measured right before and after its trace by the speed "
            "probe (one-request decode calls; the geometric mean of the two), over the "
            "profile's calibration server's (its `speed_probe` reference): "
            + "; ".join(
                f"{s} {rep} at {r:g}/s: x{f:.3f}"
                for s, (by, _) in speed.items()
                for rep, by_rate in by.items()
                for r, f in sorted(by_rate.items())
            )
            + ". Each repetition's run at each rate simulated with the profile's step model "
            "scaled by its server's factor (overheads multiplied, FLOP rate and bandwidth divided; "
            "`speed.scale_profile`); the simulated value is the mean over repetitions"
            + (", as the real one." if stat == "mean" else f" (the real one: their {stat}).")
        )
        sections += _metric_tables(real, probed, "Speed-probed prediction", stat)
    elif args.speed_probe:
        why = "; ".join(sorted({w for found, w in speed.values() if not found}))
        sections.append(f"#### Speed-probed prediction\n\nNot made: {why}.")
    sections.append(
        "#### Where a real call's time went (means per call) vs the simulated call time\n\n"
        + "\n".join(_split_lines(out, real, alone))
    )
    sections.append(
        "#### Real engine steps (engine clock) over the profile's prediction, by step class "
        "(steps in brackets)\n\n" + "\n".join(_class_lines(out, real, hardware))
    )
    if getattr(args, "call_by_call", False):
        sections.append(
            "#### Call by call: each real repetition's send times replayed\n\n"
            "Every call sent in the simulation when it was sent in the real repetition (or when "
            "its parents let it, if later: *late*); per scheduler and rate, pooled over the "
            "repetitions, the simulated over the real mean of the same calls "
            "(`vllm_nexus.sim.callwise`).\n\n"
            + "\n".join(_call_by_call_lines(args, out, trace, hardware, list(real)))
        )
    factors = {s: probe_factors(out, s, hardware) for s in real}
    if all(factors.values()):
        rescaled = {
            s: _simulate_probe_rescaled(args, out, trace, hardware, s, factors[s]) for s in real
        }
        sections.append(
            "#### Probe-rescaled prediction\n\n"
            "The machine's speed around each real run (median of `simulate probe` samples "
            "taken right before and after it) over its speed around the calibration's "
            "designed load: "
            + "; ".join(
                f"{s} at {r:g}/s: x{f:.2f}"
                for s, by in factors.items()
                for r, f in sorted(by.items())
            )
            + ". Each rate simulated with the profile's interpreter-work constants multiplied "
            "by that factor, FLOP rate and bandwidth kept (`probe.rescale`)."
        )
        sections += _metric_tables(real, rescaled, "Probe-rescaled prediction", stat)
    if args.hardware == "fit":  # the profile is already the stock run's own steps
        return "\n\n".join(sections)
    machine = {s: _machine(out, s, hardware, real) for s in real}
    slowed = {
        s: _simulate_at_measured_speed(args, out, trace, hardware, s, machine[s]) for s in real
    }
    sections.append(
        "#### Diagnostic, not a prediction: load-adjusted\n\n"
        "Machine during the real runs (per scheduler and rate, mean over repetitions): engine "
        "steps took *s* x the profile's prediction for the same steps, and *c* x their "
        "engine-clock time (waits for a CPU): "
        + "; ".join(
            f"{s} at {r:g}/s: s {m[0]:.2f}, c {m[1]:.2f}"
            for s, by_rate in machine.items()
            for r, m in sorted(by_rate.items())
        )
        + ". The tables below simulate each rate with every time constant slowed by its *s*: "
        "they use the predicted runs' own step times."
    )
    sections += _metric_tables(real, slowed, "Load-adjusted (diagnostic)", stat)
    return "\n\n".join(sections)
