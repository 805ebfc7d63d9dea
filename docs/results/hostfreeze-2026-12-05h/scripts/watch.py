import os
import subprocess
import sys
import time

pid, hb, out = int(sys.argv[1]), sys.argv[2], open(sys.argv[3], "a")
last_dump = 0
while os.path.exists(f"/proc/{pid}"):
    time.sleep(0.2)
    try:
        age = time.time() - float(open(hb).read() or 0)
    except (OSError, ValueError):
        continue
    if age > 1.5 and time.time() - last_dump > 3:
        last_dump = time.time()
        st = open(f"/proc/{pid}/stat").read().split()[2]
        la = open("/proc/loadavg").read().strip()
        out.write(
            f"\n=== {time.strftime('%H:%M:%S')} heartbeat age {age:.1f}s state {st} load {la}\n"
        )
        r = subprocess.run(
            ["/tmp/pyspy/bin/py-spy", "dump", "--pid", str(pid)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        out.write(r.stdout[-6000:] + r.stderr[-500:])
        out.flush()
