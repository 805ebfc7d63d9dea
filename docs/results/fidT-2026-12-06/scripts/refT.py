# ruff: noqa
"""Post hoc (window T, after its verdict): the speed probe's decode ratio on each of the six
calibration servers against the bracket profile, beside the one reference the profile keeps
(its chosen server's), and the runs' probe ratios (geometric mean of before and after) summarized.
usage: cd FROZEN_CODE && PYTHONPATH=. python3 refT.py WINDOW_DIR"""
import glob, math, statistics, sys
from pathlib import Path

from vllm_nexus.perf.hardware import load_profile
from vllm_nexus.sim import fidelity, speed

W = Path(sys.argv[1])
prof = W / "calibration.json"
hw = load_profile(prof)
print(f"reference kept by the profile: {speed.profile_reference(prof)['ratio']:.3f}")
cal = []
for log in sorted(glob.glob(str(W / "calibration-*-steps*.jsonl"))):
    if "machine" in log:
        continue
    (a, b) = speed.probe_window(Path(log))
    r = speed.log_ratio(Path(log), hw, (a, b)).ratio
    cal.append(r)
    print(f"{Path(log).name}: {r:.3f}")
print(f"calibration servers: median {statistics.median(cal):.3f}, range {min(cal):.3f}-{max(cal):.3f}")
runs = []
for fam in ("ca", "mr"):
    for sched in ("stock-fcfs", "vllm_nexus"):
        for rep, log, result in fidelity._logged_reps(W / fam, sched):
            rates = list(dict.fromkeys(float(r["rate"]) for r in result["runs"]))
            for i, _ in enumerate(rates):
                wins = speed.probe_windows(log, speed.server_tag(i))
                runs.append(speed.bracket_ratio([speed.log_ratio(log, hw, (a, b)).ratio for a, b, _ in wins]))
g = math.exp(statistics.mean(math.log(x) for x in runs))
print(f"runs ({len(runs)}): geometric mean {g:.3f}, range {min(runs):.3f}-{max(runs):.3f}; "
      f"over the kept reference x{g / speed.profile_reference(prof)['ratio']:.3f}, "
      f"over the calibration servers' median x{g / statistics.median(cal):.3f}")
