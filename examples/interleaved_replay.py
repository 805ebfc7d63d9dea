"""Interleaved replays: every scheduler's server up at once, one replay at a time.

Single real-engine runs on this 2-core machine vary several-fold near overload (the same
60-program ``map-reduce`` trace at 8 programs/s: stock 7.7 / 12.4 / 19.7 ms/token in three
runs, docs/benchmarks.md "Real-engine noise"), so a ratio from two runs taken minutes apart says
little. This script starts one server per scheduler (idle servers use no CPU), discards one short
warm-up replay per server, then replays the trace ``--reps`` times against each server in a
rotated order (rep k starts at scheduler k), strictly one replay at a time. Reported per
scheduler: mean program token latency per repetition, the ratio to the first scheduler in the
same repetition, their geometric mean, the pooled ratio (mean of means), and the server's CPU
seconds per replay (all its processes). Per replay, from the server's ``/metrics``: vLLM's
preemptions (and vllm_nexus's, by reason), tokens recomputed after preemption as a share of
all tokens computed (``vllm_nexus_recomputed_tokens_total``; stock vLLM exports no such
counter, so its share is unknown once it preempts), and what bound the engine: ``/metrics``
is sampled once a second during the replay for the KV-cache usage and the running and
waiting requests; a sample with requests waiting while fewer than ``--max-num-seqs`` run is
KV-bound (the scheduler could not admit them for lack of KV blocks), one with every slot
taken is slot-bound.

    python examples/interleaved_replay.py --trace results/mr200.jsonl --rate 6 --programs 150 \
        --reps 2 --schedulers stock,plas,atlas,gittins --out /tmp/il
    python examples/interleaved_replay.py --engine-args kv-bound ...   # a named setting

Schedulers are ``examples/bench_sweep.py``'s names (``stock``, ``default``, ``plas``, ...), plus
``--extra NAME=JSON`` for a ``vllm_nexus.scheduler`` section of your own. Run it under the
machine's benchmark lock; nothing else should run beside it.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shlex
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_sweep  # noqa: E402  (scheduler names and their server arguments)


def rotation(schedulers: list[str], rep: int) -> list[str]:
    """Replay order of repetition ``rep``: the list rotated by ``rep`` places."""
    k = rep % len(schedulers)
    return schedulers[k:] + schedulers[:k]


def token_latency_ms(result: dict) -> float:
    """Mean program token latency (ms/token) of one ``vllm-nexus bench`` run."""
    lat = []
    for prog in result["programs"]:
        e2e = max(c["end_s"] for c in prog["calls"]) - prog["arrival_s"]
        tokens = sum(c["output_tokens"] for c in prog["calls"])
        lat.append(1000.0 * e2e / max(1, tokens))
    return statistics.mean(lat)


def e2e_mean_s(result: dict) -> float:
    """Mean program end-to-end latency (s) of one ``vllm-nexus bench`` run: shown beside the
    token latency, which a policy can move without moving this one (issue 15 item 7)."""
    return statistics.mean(
        max(c["end_s"] for c in prog["calls"]) - prog["arrival_s"] for prog in result["programs"]
    )


def summarize(rows: list[dict], baseline: str) -> dict[str, dict]:
    """Per scheduler: means per repetition, ratios to ``baseline`` in the same repetition
    (>1: faster than the baseline), their geometric mean and the pooled ratio."""
    base = {r["rep"]: r["mean"] for r in rows if r["sched"] == baseline}
    out: dict[str, dict] = {}
    for sched in dict.fromkeys(r["sched"] for r in rows):
        mine = sorted((r for r in rows if r["sched"] == sched), key=lambda r: r["rep"])
        ratios = [base[r["rep"]] / r["mean"] for r in mine if r["rep"] in base]
        out[sched] = {
            "means": [r["mean"] for r in mine],
            "ratios": ratios,
            "geo": math.exp(statistics.mean(math.log(x) for x in ratios)) if ratios else None,
            "pooled": statistics.mean(base.values()) / statistics.mean(r["mean"] for r in mine),
            "cpu_s": [r["cpu_s"] for r in mine],
            "recompute_share": [r.get("recompute_share") for r in mine],
            "preemptions": [r.get("preemptions") for r in mine],
        }
    return out


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
GAUGES = {"vllm:kv_cache_usage_perc": "kv", "vllm:num_requests_running": "running",
          "vllm:num_requests_waiting": "waiting"}  # fmt: skip


def prom_samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    """``(name, labels, value)`` of every sample in a Prometheus text page."""
    out = []
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if not m or line.startswith("#"):
            continue
        try:
            value = float(m.group(3))
        except ValueError:
            continue
        out.append((m.group(1), dict(_LABEL.findall(m.group(2) or "")), value))
    return out


def engine_gauges(text: str) -> dict[str, float]:
    """KV usage (fraction, the fullest engine), running and waiting requests (summed)."""
    out: dict[str, float] = {}
    for name, _, value in prom_samples(text):
        key = GAUGES.get(name)
        if key == "kv":
            out[key] = max(out.get(key, 0.0), value)
        elif key:
            out[key] = out.get(key, 0.0) + value
    return out


def nexus_preemptions(text: str) -> dict[str, float]:
    """vllm_nexus's preemption counter by reason (``proactive``, ``kv_cache``)."""
    out: dict[str, float] = {}
    for name, labels, value in prom_samples(text):
        if name == "vllm_nexus_preemptions_total":
            reason = labels.get("reason", "?")
            out[reason] = out.get(reason, 0.0) + value
    return out


def binding(samples: list[dict[str, float]], max_num_seqs: int | None) -> dict:
    """What bound the engine over a replay's ``/metrics`` samples: peak KV usage, peak
    running requests, and the share of samples with requests waiting that were KV-bound
    (fewer than ``max_num_seqs`` running) or slot-bound (all slots taken)."""
    queued = [s for s in samples if s.get("waiting", 0) > 0]
    slot = [s for s in queued if max_num_seqs and s.get("running", 0) >= max_num_seqs]
    return {
        "samples": len(samples),
        "kv_peak": max((s.get("kv", 0.0) for s in samples), default=None),
        "running_peak": max((s.get("running", 0.0) for s in samples), default=None),
        "queued_share": len(queued) / len(samples) if samples else None,
        "kv_bound_share": (len(queued) - len(slot)) / len(queued) if queued else None,
    }


def max_num_seqs(engine_args: str) -> int | None:
    """``--max-num-seqs`` of ``vllm serve`` arguments (None: not given)."""
    argv = shlex.split(engine_args)
    for i, arg in enumerate(argv):
        name, eq, value = arg.partition("=")
        if name == "--max-num-seqs":
            return int(value if eq else argv[i + 1])
    return None


def complete_reps(rows: list[dict], schedulers: list[str]) -> list[dict]:
    """The rows of repetitions every scheduler finished (an interrupted command's last
    repetition is left out: its ratios would pair nothing)."""
    done: dict[int, set[str]] = {}
    for r in rows:
        done.setdefault(r["rep"], set()).add(r["sched"])
    full = {rep for rep, names in done.items() if set(schedulers) <= names}
    return [r for r in rows if r["rep"] in full]


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None, fmt: str = ".2f") -> str:
    return "—" if x is None else format(x, fmt)


def markdown_table(rows: list[dict], baseline: str) -> str:
    """One line per repetition and scheduler: mean ms/token, ratio to ``baseline`` in the
    same repetition, mean program end-to-end latency, preemptions (vllm_nexus's proactive /
    KV-pressure ones in brackets),
    recompute share, peak KV usage and running requests, the share of samples with calls
    queued and of those the KV-bound share, replay duration."""
    base = {r["rep"]: r["mean"] for r in rows if r["sched"] == baseline}
    lines = [
        "| rep | scheduler | ms/token | ratio | e2e mean s | preemptions (proactive / KV) | "
        "recomputed | KV peak | running peak | queued samples | of those KV-bound | duration s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: (r["rep"], r["sched"] != baseline)):
        nx = r.get("nexus_preemptions") or {}
        pre = _num(r.get("preemptions"), ".0f")
        if nx:
            pre += f" ({nx.get('proactive', 0):.0f} / {nx.get('kv_cache', 0):.0f})"
        ratio = base[r["rep"]] / r["mean"] if r["rep"] in base else None
        lines.append(
            f"| {r['rep']} | {r['sched']} | {r['mean']:.1f} | {_num(ratio)} | "
            f"{_num(r.get('e2e_mean_s'))} | {pre} | "
            f"{_pct(r.get('recompute_share'))} | {_pct(r.get('kv_peak'))} | "
            f"{_num(r.get('running_peak'), '.0f')} | {_pct(r.get('queued_share'))} | "
            f"{_pct(r.get('kv_bound_share'))} | {_num(r.get('duration_s'), '.0f')} |"
        )
    return "\n".join(lines) + "\n"


def summary_lines(rows: list[dict], schedulers: list[str]) -> list[str]:
    """The per-scheduler summary of the complete repetitions."""
    rows = complete_reps(rows, schedulers)
    if not rows:
        return ["no repetition finished for every scheduler"]
    out = [f"mean program token latency (ms/token) per repetition; ratio = {schedulers[0]} / "
           "scheduler in the same repetition (>1: faster)"]  # fmt: skip
    for s, v in summarize(rows, schedulers[0]).items():
        share = " ".join(_pct(x) for x in v["recompute_share"])
        out.append(
            f"{s}: means {' '.join(f'{x:.1f}' for x in v['means'])} | ratios "
            f"{' '.join(f'{x:.2f}' for x in v['ratios'])} | geo-mean {v['geo']:.2f}x | "
            f"pooled {v['pooled']:.2f}x | server CPU s {' '.join(f'{x:.1f}' for x in v['cpu_s'])}"
            f" | preemptions {' '.join(_num(x, '.0f') for x in v['preemptions'])} | "
            f"recomputed {share}"
        )
    return out


def write_report(out: Path, rows: list[dict], schedulers: list[str]) -> str:
    """``rows.json`` and ``summary.md`` (summary lines and the per-repetition table) in
    ``out``; returns the summary text."""
    (out / "rows.json").write_text(json.dumps(rows, indent=1))
    text = "\n".join(summary_lines(rows, schedulers)) + "\n"
    full = complete_reps(rows, schedulers)
    if full:
        text += "\n" + markdown_table(full, schedulers[0])
    (out / "summary.md").write_text(text)
    return text


def _get(url: str, timeout_s: float = 5.0) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as r:
            return r.read().decode()
    except OSError:
        return None


class _Sampler(threading.Thread):
    """Samples a server's ``/metrics`` gauges every ``period_s`` until stopped."""

    def __init__(self, base_url: str, period_s: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.url, self.period_s = base_url.rstrip("/").removesuffix("/v1") + "/metrics", period_s
        self.samples: list[dict[str, float]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(self.period_s):
            text = _get(self.url)
            if text is not None:
                self.samples.append(engine_gauges(text))

    def stop(self) -> list[dict[str, float]]:
        self._halt.set()
        self.join()
        return self.samples


def _server_cpu_s(port: int) -> float:
    import psutil

    total, seen = 0.0, set()
    for proc in psutil.process_iter(["cmdline"]):
        cmd = proc.info["cmdline"] or []
        if "--port" in cmd and str(port) in cmd:
            for p in [proc, *proc.children(recursive=True)]:
                if p.pid not in seen:
                    seen.add(p.pid)
                    try:
                        t = p.cpu_times()
                        total += t.user + t.system
                    except psutil.Error:
                        pass
    return total


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trace", help="JSONL trace (vllm-nexus bench --dump-trace); required")
    p.add_argument("--rate", type=float, help="programs/s (re-times the trace); required")
    p.add_argument("--programs", type=int, help="required")
    p.add_argument("--schedulers", default="stock,default")
    p.add_argument("--reps", type=int, default=2)
    p.add_argument("--think-scale", type=float, default=0.3)
    p.add_argument(
        "--engine-args",
        default="--max-num-seqs 8 --max-model-len 4096",
        help="`vllm serve` engine arguments, or a named setting (batch-bound, kv-bound: "
        "vllm_nexus/bench/settings.py)",
    )
    p.add_argument("--extra", action="append", default=[], metavar="NAME=JSON")
    p.add_argument("--model", help="model directory (default: build the tiny model)")
    p.add_argument("--out", required=True)
    p.add_argument(
        "--report",
        action="store_true",
        help="only rebuild summary.md from --out's rows.jsonl (e.g. of an interrupted command)",
    )
    a = p.parse_args(argv)
    if a.report:
        path = Path(a.out) / "rows.jsonl"
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        rows = [r for r in rows if r.get("rep") is not None]  # not the warm-ups
        print(write_report(Path(a.out), rows, a.schedulers.split(",")))
        return 0
    from vllm_nexus.bench.report import recompute_share
    from vllm_nexus.bench.settings import ENGINE_SETTINGS
    from vllm_nexus.serving.launcher import VllmServer

    missing = [f"--{k}" for k in ("trace", "rate", "programs") if getattr(a, k) is None]
    if missing:
        p.error(f"the following arguments are required: {', '.join(missing)}")
    a.engine_args = ENGINE_SETTINGS.get(a.engine_args, a.engine_args)
    seqs = max_num_seqs(a.engine_args)

    extra = {}
    for item in a.extra:
        name, _, cfg = item.partition("=")
        extra[name] = json.loads(cfg)
    schedulers = a.schedulers.split(",")
    unknown = [s for s in schedulers if s not in bench_sweep.SCHEDULERS and s not in extra]
    if unknown:
        p.error(f"unknown scheduler(s) {unknown}: use bench_sweep's names or --extra NAME=JSON")
    if a.model:
        model = a.model
    else:
        from vllm_nexus.serving.tiny_model import build_tiny_model

        model = str(build_tiny_model(bench_sweep.REPO / ".cache" / "tiny-model"))
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)

    def server_args(s: str) -> list[str]:
        if s in extra:
            cfg = json.dumps({"vllm_nexus": {"scheduler": extra[s]}})
            return ["--scheduler-cls", "vllm_nexus.Scheduler", "--additional-config", cfg]
        return bench_sweep.scheduler_args(s)

    servers = {
        s: VllmServer(model, args=[*shlex.split(a.engine_args), *server_args(s)],
                      log_path=out / f"server-{s}.log", startup_timeout_s=900)
        for s in schedulers
    }  # fmt: skip
    errors = bench_sweep.start_servers(servers.values())

    def replay(s: str, tag: str, programs: int, rep: int | None = None) -> dict:
        srv = servers[s]
        dest = out / "raw" / f"{s}-{tag}"
        argv = ["bench", "--base-url", srv.base_url, "--model", srv.model, "--trace", a.trace,
                "--programs", str(programs), "--rate", f"{a.rate:g}",
                "--think-scale", str(a.think_scale), "--run-salt", f"il{time.time():.0f}-{s}-{tag}",
                "--label", s, "--out", str(dest), "--no-plots", "--no-progress"]  # fmt: skip
        cpu0 = _server_cpu_s(srv.port)
        pre0 = nexus_preemptions(_get(srv.base_url.removesuffix("/v1") + "/metrics") or "")
        sampler = _Sampler(srv.base_url)
        sampler.start()
        try:
            subprocess.run([sys.executable, "-m", "vllm_nexus.cli", *argv], check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
        finally:
            samples = sampler.stop()
        pre1 = nexus_preemptions(_get(srv.base_url.removesuffix("/v1") + "/metrics") or "")
        run = json.loads((dest / "result.json").read_text())["runs"][0]
        server = run.get("server") or {}
        row = {"sched": s, "tag": tag, "rep": rep, "mean": token_latency_ms(run),
               "e2e_mean_s": e2e_mean_s(run),
               "duration_s": run["duration_s"], "cpu_s": _server_cpu_s(srv.port) - cpu0,
               "failed_programs": run["summary"].get("programs_failed"),
               "engine_steps": server.get("engine_steps"),
               "preemptions": server.get("preemptions", 0.0),
               "nexus_preemptions": {k: v - pre0.get(k, 0.0) for k, v in pre1.items()},
               "recomputed_tokens": server.get("vllm_nexus_recomputed_tokens_total"),
               "recompute_share": recompute_share(server),
               "mean_queue_s": server.get("mean_queue_s"),
               **binding(samples, seqs),
               "loadavg": Path("/proc/loadavg").read_text().split()[0]}  # fmt: skip
        print(json.dumps(row), flush=True)
        with open(out / "rows.jsonl", "a") as f:  # kept if the command is interrupted
            f.write(json.dumps(row) + "\n")
        return row

    rows: list[dict] = []
    interrupted = False
    try:
        if errors:
            raise SystemExit(f"a server did not start: {errors[0]}")
        for s in schedulers:
            replay(s, "warm", min(15, a.programs))
        for rep in range(a.reps):
            for s in rotation(schedulers, rep):
                rows.append(replay(s, f"rep{rep}", a.programs, rep))
    except KeyboardInterrupt:  # e.g. `timeout -s INT`: report the finished repetitions
        interrupted = True
    finally:
        for srv in servers.values():
            srv.stop()
    print("\n" + write_report(out, rows, schedulers))
    return 130 if interrupted else 0


if __name__ == "__main__":
    raise SystemExit(main())
