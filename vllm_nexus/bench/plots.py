"""Plots of benchmark results: latency vs arrival rate, and CDFs of program end-to-end latency
beside program token latency (the two can part: see ``report.moved_summary``)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path

from vllm_nexus.bench.metrics import ProgramRecord
from vllm_nexus.bench.report import by_rate


def plot_latency_vs_rate(
    results: Sequence[dict], path: str | Path, slo: float | None = None, title: str = ""
) -> Path:
    """Mean and P99 program token latency vs arrival rate, one line per result."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, stat in zip(axes, ("mean", "p99"), strict=True):
        for r in results:
            pts = by_rate(r, f"program_token_latency_s.{stat}")
            if not pts:
                continue
            xs = list(pts)
            ys = [1000 * statistics.fmean(v) for v in pts.values()]
            lo = [1000 * min(v) for v in pts.values()]
            hi = [1000 * max(v) for v in pts.values()]
            label = r["label"] + (" (sim)" if r.get("simulated") else "")
            ax.plot(xs, ys, marker="o", label=label)
            ax.fill_between(xs, lo, hi, alpha=0.15)
        if slo and stat == "mean":
            ax.axhline(1000 * slo, color="grey", ls="--", lw=1, label="SLO")
        ax.set_xlabel("arrival rate (programs/s)")
        ax.set_ylabel(f"{stat} program token latency (ms/token)")
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p, dpi=110)
    plt.close(fig)
    return p


def plot_cdf(
    results: Sequence[dict], path: str | Path, rate: float | None = None, title: str = ""
) -> Path:
    """CDFs at ``rate`` (default: the highest rate all results share) of program end-to-end
    latency (left) and program token latency (right), one line per result, with the means."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if rate is None:
        common = set.intersection(*({float(run["rate"]) for run in r["runs"]} for r in results))
        rate = max(common) if common else max(float(run["rate"]) for run in results[0]["runs"])
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    panels = (
        ("program end-to-end latency (s)", lambda p: p.e2e_s, 1.0, "s"),
        ("program token latency (ms/token)", lambda p: p.token_latency_s, 1e3, "ms"),
    )
    for ax, (xlabel, value, scale, unit) in zip(axes, panels, strict=True):
        for r in results:
            vals = sorted(
                scale * v
                for run in r["runs"]
                if float(run["rate"]) == rate
                for p in run["programs"]
                if (v := value(ProgramRecord.from_dict(p))) is not None
            )
            if not vals:
                continue
            ys = [(i + 1) / len(vals) for i in range(len(vals))]
            mean = statistics.fmean(vals)
            ax.step(vals, ys, where="post", label=f"{r['label']} (mean {mean:.3g} {unit})")
        ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("CDF")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title or f"program latency CDFs at {rate:g} programs/s")
    fig.tight_layout()
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p, dpi=110)
    plt.close(fig)
    return p
