"""Program inference (lineage) on a real engine, from clients that send no program id.

Two measurements, one fresh ``vllm serve --scheduler-cls vllm_nexus.Scheduler`` each (tiny
model, ``--max-num-seqs 8``, ``program_inference_log`` on):

``multiturn``: vLLM's own multi-turn serving benchmark (``benchmarks/multi_turn`` of the vLLM
0.32.0 sdist, chat completions, streaming, the model's own answers fed back as history) run
*without* ``--send-conversation-id``; prints the programs the scheduler formed (solo calls
start one each) against the conversation count. Its conversations share a common prefix
(``common_prefix_num_tokens``) — the shared-system-prompt case.

``mixed``: ``vllm-nexus bench`` replays the ``mixed`` trace with ``--no-program-ids``; each
call carries an opaque request id, so the audit log's decisions can be checked against the
trace's truth: an *inferred* call whose program's root call belongs to another trace program
is a wrong merge.

Run through the engine lock: ``flock /tmp/nexus-engine.lock python examples/lineage_eval.py
multiturn --multiturn-dir DIR`` (``DIR``: the sdist's ``benchmarks/multi_turn``).

``judge-sweep DIR``: the same wrong-merge check on the ``plas-noids`` runs of a finished
``examples/bench_sweep.py`` directory (its ``-noids`` servers keep an audit log), so the
throughput-at-latency figures and the merge check come from the same runs. No engine.

``retention DIR``: throughput at latency of ``stock``, ``plas`` (ids sent) and ``plas-noids``
(ids stripped) in each repetition of such a sweep directory, and the share of the with-ids
gain the id-less runs keep (the issue-18 target: >= 80%), per repetition and on average.
Each repetition's SLO is ``--slo-factor`` x its own stock mean at the lowest rate, so a
repetition's three schedulers are compared within one quiet window. No engine.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ENGINE_ARGS = ["--max-num-seqs", "8"]

# A smaller version of the benchmark's generate_multi_turn.json (sized for the tiny model).
MULTITURN_CONFIG = {
    "filetype": "generate_conversations",
    "num_conversations": 24,
    "text_files": [],
    "print_stats": False,
    "prompt_input": {
        "num_turns": {"distribution": "uniform", "min": 4, "max": 10},
        "common_prefix_num_tokens": {"distribution": "constant", "value": 300},
        "prefix_num_tokens": {"distribution": "lognormal", "average": 200, "max": 600},
        "num_tokens": {"distribution": "uniform", "min": 40, "max": 80},
    },
    "prompt_output": {"num_tokens": {"distribution": "uniform", "min": 20, "max": 60}},
}


def _server(model: str, log: Path, audit: Path, extra: dict | None = None):
    from vllm_nexus.serving.launcher import VllmServer

    sched = {"program_inference_log": str(audit), **(extra or {})}
    cfg = json.dumps({"vllm_nexus": {"scheduler": sched}})
    args = [*ENGINE_ARGS, "--scheduler-cls", "vllm_nexus.Scheduler", "--additional-config", cfg]
    return VllmServer(model, args=args, log_path=log, startup_timeout_s=900)


def _counts(base_url: str) -> Counter:
    import requests

    text = requests.get(f"{base_url}/metrics", timeout=10).text
    out: Counter = Counter()
    for line in text.splitlines():
        if line.startswith("vllm_nexus_program_assignments_total{"):
            source = line.split('source="')[1].split('"')[0]
            out[source] += int(float(line.rsplit(" ", 1)[1]))
    return out


def _wait_idle_counts(base_url: str, expect: int, timeout_s: float = 20) -> Counter:
    deadline = time.time() + timeout_s
    while True:  # the snapshot is written when the engine goes idle
        c = _counts(base_url)
        if sum(c.values()) >= expect or time.time() > deadline:
            return c
        time.sleep(0.5)


def multiturn(args: argparse.Namespace, model: str, work: Path) -> dict:
    from vllm_nexus.bench.prompts import corpus_text

    text = work / "corpus.txt"
    text.write_text(corpus_text(40_000, seed=7))
    conf = MULTITURN_CONFIG
    if args.multiturn_config:  # e.g. the benchmark's own generate_multi_turn.json
        conf = json.loads(Path(args.multiturn_config).read_text())
    conf = dict(conf, text_files=[str(text)])
    conf_path = work / "multiturn.json"
    conf_path.write_text(json.dumps(conf))
    audit = work / "audit-multiturn.jsonl"
    results = {}
    extra = {"program_inference": args.inference}
    with _server(model, work / "server-multiturn.log", audit, extra) as srv:
        for send_ids in (True, False):
            before = _counts(srv.base_url)
            cmd = [sys.executable, "benchmark_serving_multi_turn.py", "-i", str(conf_path),
                   "-m", model, "--served-model-name", srv.model, "-u", srv.base_url,
                   "-p", "4", "--seed", str(args.seed), "--no-early-stop"]  # fmt: skip
            if not args.multiturn_config:
                cmd += ["--limit-min-tokens", "20", "--limit-max-tokens", "60"]
            if send_ids:
                cmd.append("--send-conversation-id")
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
            log = work / f"multiturn-{'ids' if send_ids else 'noids'}.log"
            with open(log, "w") as f:
                rc = subprocess.run(cmd, cwd=args.multiturn_dir, stdout=f, stderr=f, env=env)
            if rc.returncode != 0:
                raise SystemExit(f"multi-turn benchmark failed, see {log}")
            n_req = _requests_sent(log)
            after = _wait_idle_counts(srv.base_url, sum(before.values()) + n_req)
            delta = {k: after[k] - before.get(k, 0) for k in ("explicit", "inferred", "solo")}
            key = "with_ids" if send_ids else "without_ids"
            results[key] = {"requests": n_req, **delta}
            print(f"multi-turn {key}: {results[key]}", flush=True)
    n_conv = conf["num_conversations"]
    programs = results["without_ids"]["solo"]
    results["conversations"] = n_conv
    results["programs_without_ids"] = programs
    results["ratio"] = programs / n_conv
    print(
        f"multi-turn without ids: {programs} programs for {n_conv} conversations "
        f"({results['without_ids']['requests']} requests): ratio {programs / n_conv:.2f}",
        flush=True,
    )
    return results


def _requests_sent(log: Path) -> int:
    """Requests the benchmark completed (its summary table's ttft_ms count)."""
    for line in log.read_text().splitlines():
        parts = line.split()
        if parts and parts[0] == "ttft_ms":
            return int(float(parts[1]))
    raise SystemExit(f"no summary in {log}")


def mixed(args: argparse.Namespace, model: str, work: Path) -> dict:
    from vllm_nexus import cli
    from vllm_nexus.bench.runner import call_request_id
    from vllm_nexus.bench.trace import load_trace

    trace = work / "mixed.jsonl"
    gen = ["bench", "--workload", "mixed", "--programs", str(args.programs), "--seed",
           str(args.seed), "--rate", "1", "--calls-scale", "0.25", "--tokens-scale", "0.25",
           "--dump-trace", str(trace)]  # fmt: skip
    if cli.main(gen) != 0:
        raise SystemExit("could not generate the trace")
    programs = load_trace(trace)
    audit = work / "audit-mixed.jsonl"
    out = {}
    with _server(model, work / "server-mixed.log", audit) as srv:
        for rate in args.rates:
            salt = f"lineage-{rate:g}-{int(time.time())}"
            dest = work / f"mixed-rate{rate:g}"
            bench = ["bench", "--base-url", srv.base_url, "--model", srv.model, "--trace",
                     str(trace), "--programs", str(args.programs), "--rate", f"{rate:g}",
                     "--think-scale", "0.3", "--run-salt", salt, "--no-program-ids",
                     "--label", "noids", "--out", str(dest), "--no-plots", "--no-progress"]  # fmt: skip
            rc = cli.main(bench)
            if rc not in (0, 3):
                raise SystemExit(f"bench failed ({rc})")
            run = json.loads((dest / "result.json").read_text())["runs"][0]
            out[f"rate{rate:g}"] = _judge(audit, programs, salt, call_request_id, run)
            print(f"mixed, ids stripped, rate {rate:g}: {out[f'rate{rate:g}']}", flush=True)
    return out


def _judge(audit: Path, programs: list, salt: str, call_request_id, run: dict) -> dict:
    """Wrong merges of one run, from the audit log and the trace's truth."""
    from vllm_nexus.bench.cli import run_id_suffix

    suffix = run_id_suffix(salt, argparse.Namespace(keep_program_ids=False))
    truth = {}
    for p in programs:
        for c in p.calls:
            truth[call_request_id(p.program_id + suffix, c.id)] = p.program_id

    def true_program(engine_rid: str) -> str | None:
        # vLLM's engine request id: "cmpl-<request_id>-<prompt index>-<8 random chars>"
        parts = engine_rid.split("-")
        return truth.get(parts[1]) if len(parts) >= 4 and parts[0] == "cmpl" else None

    decisions = []
    for line in audit.read_text().splitlines():
        d = json.loads(line)
        if true_program(d["request_id"]) is not None:
            decisions.append(d)
    counts = Counter(d["source"] for d in decisions)
    wrong = 0
    for d in decisions:
        if d["source"] != "inferred":
            continue
        root = d["program_id"].removeprefix("call:")
        if true_program(root) != true_program(d["request_id"]):
            wrong += 1
    calls = len(decisions)
    true_programs = len({true_program(d["request_id"]) for d in decisions})
    return {
        "calls": calls,
        "solo": counts["solo"],
        "inferred": counts["inferred"],
        "wrong_merges": wrong,
        "wrong_merge_share": wrong / calls if calls else None,
        "true_programs": true_programs,
        "programs_formed": counts["solo"],
        "failed_calls": run["summary"].get("calls_failed"),
    }


def judge_sweep(sweep: Path) -> dict:
    """Wrong merges of every ``-noids`` run of a ``bench_sweep.py`` directory: its servers
    write ``logs/audit-<scheduler>.jsonl``; each run's salt is in ``sweep.json``'s commands."""
    from vllm_nexus.bench.runner import call_request_id
    from vllm_nexus.bench.trace import load_trace

    meta = json.loads((sweep / "sweep.json").read_text())
    out = {}
    for cmd in meta.get("commands", []):
        argv = shlex.split(cmd)
        if "--no-program-ids" not in argv or "--run-salt" not in argv:
            continue
        opt = {k: argv[i + 1] for i, k in enumerate(argv[:-1]) if k.startswith("--")}
        sched, salt = opt["--label"], opt["--run-salt"]
        audit = sweep / "logs" / f"audit-{sched}.jsonl"
        result = Path(opt["--out"]) / "result.json"
        if not audit.exists() or not result.exists():
            continue
        trace = load_trace(Path(opt["--trace"]))[: int(opt["--programs"])]
        run = json.loads(result.read_text())["runs"][0]
        key = f"{sched} {Path(opt['--out']).name}"
        out[key] = _judge(audit, trace, salt, call_request_id, run)
        print(f"{key}: {out[key]}", flush=True)
    if not out:
        raise SystemExit(f"no -noids run with an audit log in {sweep}")
    calls = sum(r["calls"] for r in out.values())
    wrong = sum(r["wrong_merges"] for r in out.values())
    out["total"] = {"calls": calls, "wrong_merges": wrong, "wrong_merge_share": wrong / calls}
    print(f"all runs: {wrong} wrong merges in {calls} calls ({wrong / calls:.2%})", flush=True)
    return out


def _rep_curves(sweep: Path, sched: str) -> dict[int, list[tuple[float, float]]]:
    """(rate, mean program token latency) per repetition of one scheduler's runs."""
    from vllm_nexus.bench.report import load_result

    curves: dict[int, list[tuple[float, float]]] = {}
    for path in sorted((sweep / "raw" / "mixed" / sched).glob("rate*-rep*/result.json")):
        rep = int(path.parent.name.rsplit("-rep", 1)[1])  # the sweep's repetition, by directory
        for run in load_result(path)["runs"]:
            lat = run["summary"]["program_token_latency_s"]["mean"]
            curves.setdefault(rep, []).append((float(run["rate"]), lat))
    return {k: sorted(v) for k, v in sorted(curves.items())}


def _kept(base: float | None, ids: float | None, noids: float | None) -> float | None:
    """Share of the with-ids gain over ``base`` that the id-less runs keep."""
    if None in (base, ids, noids) or ids <= base:
        return None
    return (noids - base) / (ids - base)


def retention(sweep: Path, slo_factor: float, names: tuple[str, str, str]) -> dict:
    """Throughput at latency per repetition (its own SLO) and the share of the gain kept."""
    from vllm_nexus.bench.metrics import throughput_at_latency

    base, ids, noids = names
    curves = {s: _rep_curves(sweep, s) for s in names}
    reps = sorted(set(curves[base]) & set(curves[ids]) & set(curves[noids]))
    if not reps:
        raise SystemExit(f"no repetition of {base}, {ids} and {noids} in {sweep}")
    out: dict = {"repetitions": {}}
    for rep in reps:
        slo = slo_factor * curves[base][rep][0][1]
        tal = {s: throughput_at_latency(curves[s][rep], slo) for s in names}
        row = {
            "slo_ms": round(slo * 1000, 1),
            "ms_per_token": {
                s: {f"{r:g}": round(v * 1000, 1) for r, v in curves[s][rep]} for s in names
            },  # fmt: skip
            "tal": {s: tal[s]["interp_rate"] for s in names},
            "censored": [s for s in names if tal[s]["censored"]],
        }
        row["kept"] = _kept(*(row["tal"][s] for s in names))
        out["repetitions"][rep] = row
        kept = "—" if row["kept"] is None else f"{row['kept']:.0%}"
        cells = ", ".join(f"{s} {_fmt_tal(tal[s])}" for s in names)
        print(f"rep {rep}: SLO {row['slo_ms']} ms/token; throughput at latency {cells}; "
              f"kept {kept}", flush=True)  # fmt: skip
    kept = [r["kept"] for r in out["repetitions"].values() if r["kept"] is not None]
    mean_tal = {
        s: sum(r["tal"][s] or 0.0 for r in out["repetitions"].values()) / len(reps) for s in names
    }
    out["mean"] = {"tal": mean_tal, "kept_of_mean_tal": _kept(*(mean_tal[s] for s in names)),
                   "mean_of_kept": sum(kept) / len(kept) if kept else None}  # fmt: skip
    m = out["mean"]
    print(f"mean over {len(reps)} repetitions: throughput at latency "
          + ", ".join(f"{s} {v:.2f}" for s, v in mean_tal.items())
          + f"; kept {_pct(m['kept_of_mean_tal'])} (of the mean figures), "
          f"{_pct(m['mean_of_kept'])} (mean of the repetitions')", flush=True)  # fmt: skip
    return out


def _fmt_tal(t: dict) -> str:
    v = t["interp_rate"]
    return "none" if v is None else (">=" if t["censored"] else "") + f"{v:.2f}"


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.0%}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("what", choices=["multiturn", "mixed", "both", "judge-sweep", "retention"])
    p.add_argument(
        "sweep", nargs="?", help="judge-sweep, retention: a bench_sweep.py --out directory"
    )
    p.add_argument("--slo-factor", type=float, default=3.0, help="retention: SLO = factor x "
                   "stock's mean program token latency at its lowest rate")  # fmt: skip
    p.add_argument("--compare", default="stock,plas,plas-noids",
                   help="retention: baseline, with-ids and without-ids schedulers")  # fmt: skip
    p.add_argument("--multiturn-dir", help="the vLLM sdist's benchmarks/multi_turn directory")
    p.add_argument(
        "--multiturn-config",
        help="conversation generator JSON (default: a small one for the tiny model; the "
        "benchmark's generate_multi_turn.json works, its text file replaced by a local corpus)",
    )
    p.add_argument("--inference", default="lineage", choices=["lineage", "off"])
    p.add_argument("--model", help="model directory (default: build the tiny model)")
    p.add_argument("--programs", type=int, default=100)
    p.add_argument("--rates", default="4,16", help="mixed: programs/s, comma-separated")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="JSON file for the figures")
    args = p.parse_args(argv)
    args.rates = [float(r) for r in args.rates.split(",")]
    if args.what in ("judge-sweep", "retention"):
        if not args.sweep:
            p.error(f"{args.what} needs the sweep directory")
        names = tuple(x.strip() for x in args.compare.split(","))
        if len(names) != 3:
            p.error("--compare takes three schedulers: baseline,with-ids,without-ids")
        figures = (
            judge_sweep(Path(args.sweep))
            if args.what == "judge-sweep"
            else retention(Path(args.sweep), args.slo_factor, names)
        )
        if args.out:
            Path(args.out).write_text(json.dumps(figures, indent=1))
        return 0
    if args.what in ("multiturn", "both") and not args.multiturn_dir:
        p.error("multiturn needs --multiturn-dir")
    model = args.model
    if model is None:
        from vllm_nexus.serving.tiny_model import build_tiny_model

        model = str(build_tiny_model(REPO / ".cache" / "tiny-model"))
    work = Path(tempfile.mkdtemp(prefix="lineage_eval_"))
    print(f"work directory: {work}", flush=True)
    figures: dict = {"command": " ".join(sys.argv), "started": time.strftime("%F %T UTC")}
    if args.what in ("multiturn", "both"):
        figures["multiturn"] = multiturn(args, model, work)
    if args.what in ("mixed", "both"):
        figures["mixed"] = mixed(args, model, work)
    text = json.dumps(figures, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
