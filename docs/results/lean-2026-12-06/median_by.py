"""Post hoc (2026-12-06 (j)): which calibration server should set the profile?

`simulate calibrate --servers 3` fits each server and keeps the one whose *quiet* one-request
decode step is the median (calibrate.median_fit). The frontend part of the profile (the waits
per streaming step) comes along with that server, whatever it measured. This script refits each
server of a window's start and end calibrations on its own (`calibrate --from-log LOG
--live-from calibration-PH.json`, the current code) and writes, per phase, the fit of the median
server by each of two rankings:
  quiet      the modelled one-request decode step (the product's ranking; reproduces the
             registered calibration);
  streaming  the modelled decode step of 4 requests over 1,024 tokens each *plus* the
             frontend's waits for 4 streams: what a step costs while calls stream, as in the
             runs (4: the middle of --max-num-seqs 8).
usage: python median_by.py WINDOW_DIR OUT_DIR   (prints one line per server)"""

import json
import subprocess
import sys
from pathlib import Path

from vllm_nexus.perf.hardware import get_hardware
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model

VN = [sys.executable, "-m", "vllm_nexus.cli"]
CTX = 1024
STREAMS = 4


def quiet(path: Path) -> float:
    return StepLatencyModel(get_hardware(str(path)), get_model("tiny")).decode_time(1, CTX)


def streaming(path: Path) -> float:
    hw = get_hardware(str(path))
    cap = hw.frontend_stream_delay_cap
    waits = hw.frontend_step_delay_s + hw.frontend_stream_delay_s * (
        min(STREAMS, cap) if cap > 0 else STREAMS
    )
    return StepLatencyModel(hw, get_model("tiny")).decode_time(STREAMS, CTX) + waits


def main() -> None:
    win, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    for ph in ("start", "end"):
        logs = [win / f"calibration-{ph}-steps{s}.jsonl.gz" for s in ("", "-server2", "-server3")]
        logs = [p if p.exists() else p.with_suffix("") for p in logs]
        fits = []
        for k, log in enumerate(logs, 1):
            dst = out / f"{ph}-server{k}.json"
            if not dst.exists():
                subprocess.run([*VN, "simulate", "calibrate", "--from-log", str(log), "--live-from",
                                str(win / f"calibration-{ph}.json"), "--out", str(dst)],
                               check=True, capture_output=True)  # fmt: skip
            fits.append(dst)
            print(f"{win.name} {ph} server{k}: quiet {1e3 * quiet(dst):.3f} ms, "
                  f"streaming x{STREAMS} {1e3 * streaming(dst):.3f} ms")  # fmt: skip
        for rank, key in (("quiet", quiet), ("streaming", streaming)):
            order = sorted(fits, key=key)
            pick = order[(len(order) - 1) // 2]
            doc = json.loads(pick.read_text())
            doc["median_by"] = {"ranking": rank, "server": pick.name}
            (out / f"calibration-{ph}-{rank}.json").write_text(json.dumps(doc, indent=1) + "\n")
            print(f"{win.name} {ph} median by {rank}: {pick.name}")
    for rank in ("quiet", "streaming"):
        subprocess.run([*VN, "simulate", "calibrate", "--midpoint", str(out / f"calibration-start-{rank}.json"),
                        str(out / f"calibration-end-{rank}.json"), "--out", str(out / f"calibration-mid-{rank}.json")],
                       check=True, capture_output=True)  # fmt: skip


if __name__ == "__main__":
    main()
