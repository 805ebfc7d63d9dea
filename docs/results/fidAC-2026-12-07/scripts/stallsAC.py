"""Window AC diagnostic: does this host stall single-server runs? Sleeps 50 ms in a loop and appends
every oversleep > 0.2 s as a JSON line {"t": unix time, "over_s": seconds} until STOPFILE exists.
usage: python3 stallsAC.py OUT.jsonl STOPFILE"""

import json
import os
import sys
import time

out, stop = sys.argv[1], sys.argv[2]
with open(out, "a") as f:
    f.write(json.dumps({"start": round(time.time(), 1)}) + "\n")
    f.flush()
    n = 0
    while not os.path.exists(stop):
        a = time.monotonic()
        time.sleep(0.05)
        n += 1
        over = time.monotonic() - a - 0.05
        if over > 0.2:
            f.write(json.dumps({"t": round(time.time(), 1), "over_s": round(over, 2)}) + "\n")
            f.flush()
    f.write(json.dumps({"end": round(time.time(), 1), "samples": n}) + "\n")
