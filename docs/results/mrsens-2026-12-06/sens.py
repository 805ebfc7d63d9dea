"""One-at-a-time sensitivity of a simulated cell to the hardware profile's fields.
usage (from the repository root): python sens.py PROFILE TRACE PROGRAMS SEED RATE SCHEDULER FIELD=VALUE,...
Prints the cell's mean and P95 program token latency with the profile as is, then with each
FIELD set to VALUE alone (engine: --max-num-seqs 8 --max-model-len 4096, --think-scale 0.3)."""

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, ".")
from vllm_nexus.bench import report, settings

prof, trace, programs, seed, rate, sched = sys.argv[1:7]
fields = sys.argv[7].split(",")
base = json.load(open(prof))
Path("/tmp/mrsens").mkdir(exist_ok=True)
for fld in ["none"] + fields:
    d = json.loads(json.dumps(base))
    if fld != "none":
        name, val = fld.split("=")
        d["hardware"][name] = float(val)
    p = "/tmp/mrsens/sens.json"
    json.dump(d, open(p, "w"))
    dest = Path("/tmp/mrsens/out")
    subprocess.run([sys.executable, "-m", "vllm_nexus.cli", "simulate", "--trace", trace, "--programs", programs,
        "--sweep-rates", rate, "--seed", seed, "--think-scale", "0.3", "--hardware", p, "--model", "tiny",
        "--scheduler", sched, *settings.sim_engine_flags("--max-num-seqs 8 --max-model-len 4096"), "--out", str(dest),
        "--no-progress", "--no-plots"], check=True, capture_output=True)
    run = report.load_result(dest / sched / "result.json")["runs"][0]
    ptl = run["summary"]["program_token_latency_s"]
    print(f"{fld:40s} mean {ptl['mean']*1e3:6.1f} p95 {ptl['p95']*1e3:6.1f} preempt {run['simulation']['preemptions']} steps {run['simulation']['steps']} virt {run['simulation']['virtual_s']:.1f}", flush=True)
