import json
import sys
import time

out = sys.argv[1]
dur = float(sys.argv[2])
w = []
t = time.monotonic()
while time.monotonic() - t < dur:
    a = time.monotonic()
    time.sleep(0.05)
    o = time.monotonic() - a - 0.05
    if o > 0.2:
        w.append((round(time.time(), 1), round(o, 2)))
json.dump(w, open(out, "w"))
