"""Draw the Grafana dashboard's panels from real data, without Grafana.

Starts ``vllm serve`` (tiny model, ``vllm_nexus.Scheduler``, ``--max-num-seqs 8``) and a
Prometheus that scrapes its ``/metrics`` every 2 s, replays the ``mixed`` workload twice with
``vllm-nexus bench`` (first with program ids, then with ``--no-program-ids`` so lineage
inference shows), then evaluates every query of ``vllm-nexus.json`` with Prometheus's
``query_range`` API and draws the panels in the dashboard's layout with matplotlib.

The picture is therefore the dashboard's own PromQL on live data, drawn by matplotlib (Grafana
is not installable here), not a Grafana screenshot. Needs a ``prometheus`` binary on PATH
(Debian: ``apt-get install prometheus``). Run through the engine lock::

    flock /tmp/nexus-engine.lock python examples/grafana/render.py --out docs/figures/grafana-dashboard.png
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
STEP_S = 5
RATE_WINDOW = "20s"


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def query_range(prom: str, expr: str, start: float, end: float) -> list[dict]:
    expr = expr.replace("$__rate_interval", RATE_WINDOW).replace("$job", ".*")
    q = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": STEP_S})
    data = _get(f"{prom}/api/v1/query_range?{q}")
    return data["data"]["result"]


def _legend(fmt: str, labels: dict) -> str:
    for k, v in labels.items():
        fmt = fmt.replace("{{" + k + "}}", v)
    return fmt


def draw(dashboard: dict, prom: str, start: float, end: float, out: Path, marks) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [p for p in dashboard["panels"] if p["type"] != "row"]

    n_rows = (len(panels) + 1) // 2
    fig, axes = plt.subplots(n_rows, 2, figsize=(15, 2.6 * n_rows), squeeze=False)
    fig.patch.set_facecolor("#181b1f")
    row_of = {}
    current = None
    for p in dashboard["panels"]:
        if p["type"] == "row":
            current = p["title"]
        else:
            row_of[p["id"]] = current
    for ax, p in zip(axes.flat, panels, strict=False):
        ax.set_facecolor("#111217")
        for s in ax.spines.values():
            s.set_color("#333")
        ax.tick_params(colors="#aaa", labelsize=7)
        ax.set_title(f"{row_of[p['id']]} · {p['title']}", color="#ddd", fontsize=9, loc="left")
        stacked = p["fieldConfig"]["defaults"]["custom"]["stacking"]["mode"] == "normal"
        series = []
        for t in p["targets"]:
            for r in query_range(prom, t["expr"], start, end):
                xs = [float(v[0]) - start for v in r["values"]]
                ys = [
                    float(v[1]) if v[1] not in ("NaN", "+Inf", "-Inf") else 0 for v in r["values"]
                ]
                series.append((_legend(t["legendFormat"], r["metric"]), xs, ys))
        series.sort(key=lambda s: s[0])
        if stacked and series:
            grid = sorted({x for _, xs, _ in series for x in xs})
            stacks = [dict(zip(xs, ys, strict=True)) for _, xs, ys in series]
            ax.stackplot(grid, *[[d.get(x, 0) for x in grid] for d in stacks],
                         labels=[s[0] for s in series], alpha=0.7)  # fmt: skip
        else:
            for name, xs, ys in series:
                ax.plot(xs, ys, label=name, linewidth=1.2)
        for x, _label in marks:
            ax.axvline(x, color="#888", linestyle=":", linewidth=0.8)
        if series:
            ax.legend(fontsize=6, loc="upper left", facecolor="#222", labelcolor="#ccc", ncol=3)
        else:
            ax.text(0.5, 0.5, "no data", color="#888", ha="center", transform=ax.transAxes)
        unit = p["fieldConfig"]["defaults"]["unit"]
        ax.set_ylabel(unit, color="#888", fontsize=7)
    for ax in axes.flat[len(panels) :]:
        ax.axis("off")
    phases = ", ".join(f"{label} from {x:.0f} s" for x, label in marks)
    fig.suptitle(
        f"vllm-nexus dashboard panels (examples/grafana/vllm-nexus.json): its PromQL evaluated "
        f"by Prometheus on a live server, drawn by matplotlib — {phases}",
        color="#eee",
        fontsize=10,
    )

    fig.tight_layout(rect=(0, 0, 1, 0.98))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80, facecolor=fig.get_facecolor())
    print(f"wrote {out}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(REPO / "docs" / "figures" / "grafana-dashboard.png"))
    p.add_argument("--programs", type=int, default=60)
    p.add_argument("--rate", type=float, default=4.0)
    args = p.parse_args(argv)
    if shutil.which("prometheus") is None:
        sys.exit("needs a prometheus binary on PATH (Debian: apt-get install prometheus)")
    from vllm_nexus import cli
    from vllm_nexus.serving.launcher import VllmServer, free_port
    from vllm_nexus.serving.tiny_model import build_tiny_model

    model = str(build_tiny_model(REPO / ".cache" / "tiny-model"))
    work = Path(tempfile.mkdtemp(prefix="grafana_render_"))
    server_args = ["--max-num-seqs", "8", "--scheduler-cls", "vllm_nexus.Scheduler",
                   "--middleware", "vllm_nexus.api.ProgramIdMiddleware"]  # fmt: skip
    with VllmServer(model, args=server_args, log_path=work / "server.log") as srv:
        port = free_port()
        target = srv.base_url.split("//")[1]
        (work / "prom.yml").write_text(
            "global: {scrape_interval: 2s}\nscrape_configs:\n"
            f"  - job_name: vllm\n    static_configs: [{{targets: ['{target}']}}]\n"
        )
        prom_proc = subprocess.Popen(
            ["prometheus", f"--config.file={work / 'prom.yml'}",
             f"--storage.tsdb.path={work / 'tsdb'}", f"--web.listen-address=127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=open(work / "prom.log", "w"),
        )  # fmt: skip
        prom = f"http://127.0.0.1:{port}"
        try:
            time.sleep(6)
            start = time.time()
            marks = []
            for label, extra in (("ids", []), ("no ids", ["--no-program-ids"])):
                marks.append((time.time() - start, label))
                bench = ["bench", "--base-url", srv.base_url, "--model", srv.model,
                         "--workload", "mixed", "--programs", str(args.programs), "--rate",
                         f"{args.rate:g}", "--calls-scale", "0.25", "--tokens-scale", "0.25",
                         "--think-scale", "0.3", "--seed", str(len(marks)), "--no-plots",
                         "--no-progress", "--out", str(work / label.replace(" ", "")), *extra]  # fmt: skip
                if cli.main(bench) not in (0, 3):
                    sys.exit("bench failed")
            time.sleep(8)
            end = time.time()
            dashboard = json.loads((HERE / "vllm-nexus.json").read_text())
            draw(dashboard, prom, start, end, Path(args.out), marks)
        finally:
            prom_proc.terminate()
            prom_proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
