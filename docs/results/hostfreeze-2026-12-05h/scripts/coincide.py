"""How many of the test process's stalls > 2 s coincide (end within 1 s) with a stall of a
separate probe process in its own session; prints per repetition."""

import json
import sys
from pathlib import Path

d = Path(sys.argv[1] if len(sys.argv) > 1 else "data")
for rep in (0, 1):
    me = [t for t, o in json.loads((d / f"probe-self-{rep}.json").read_text()) if o > 2]
    other = [t for t, o in json.loads((d / f"probe-newsess-{rep}.json").read_text()) if o > 0.2]
    both = sum(any(abs(t - u) <= 1.0 for u in other) for t in me)
    print(
        f"rep {rep}: test-process stalls > 2 s: {len(me)}, with a stall of the other session's probe within 1 s: {both}"
    )
