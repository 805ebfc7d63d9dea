"""Does a server's log end cleanly when stopped? One tiny-model server, one call, one stop.

usage: python shut.py MODE OUT_DIR   (MODE: group-abort | leader-abort | group-drain | launcher)
  group-abort   SIGINT to the whole process group, vLLM's default --shutdown-timeout 0
                (what VllmServer.stop() did before 2026-12-06)
  leader-abort  SIGTERM to the API server alone, --shutdown-timeout 0
  group-drain   SIGINT to the whole process group, --shutdown-timeout 10
  launcher      VllmServer's defaults and stop() (SIGTERM to the API server, drain 10 s)
Prints one line: mode, seconds the stop took, EngineDeadError / Traceback / force kill seen.
"""

import json
import os
import signal
import sys
import time
import urllib.request
from pathlib import Path

from vllm_nexus.serving.launcher import VllmServer
from vllm_nexus.serving.tiny_model import build_tiny_model

mode, out = sys.argv[1], Path(sys.argv[2])
model = out / "model"
if not model.exists():
    build_tiny_model(model)
log = out / f"{mode}-{os.getpid()}.log"
args = ["--scheduler-cls", "vllm_nexus.Scheduler", "--max-num-seqs", "8"]
if mode in ("group-abort", "leader-abort"):
    args += ["--shutdown-timeout", "0"]
s = VllmServer(str(model), args=args, log_path=log).start()
body = {"model": s.model, "prompt": "hi", "max_tokens": 8}
req = urllib.request.Request(
    f"{s.base_url}/v1/completions",
    data=json.dumps(body).encode(),
    headers={"Content-Type": "application/json"},
)
assert urllib.request.urlopen(req).status == 200
t = time.monotonic()
pgid = s.proc.pid
if mode != "launcher":
    if mode.startswith("group"):
        os.killpg(pgid, signal.SIGINT)
    else:
        os.kill(pgid, signal.SIGTERM)
    while time.monotonic() - t < 40 and s._group_alive(pgid):
        s.proc.poll()
        time.sleep(0.2)
s.stop()
text = log.read_text()
print(
    f"{mode} stop_s={time.monotonic() - t:.1f} engine_dead={'EngineDeadError' in text} "
    f"traceback={'Traceback' in text} force_kill={'force killing' in text}"
)
