"""Per `sz` replay: vllm_nexus preemptions and waiting calls denied a preemption by the learned
sizes (vllm_nexus_preemptions_size_declined_total), from interleaved_replay's raw result.json
files (per-replay /metrics deltas). Usage: python declined.py RUN_DIR"""

import re
import sys
from pathlib import Path

pat = re.compile(r'"(vllm_nexus_preemptions(?:_size_declined)?_total)": ([0-9.]+)')
for d in sorted(Path(sys.argv[1], "raw").glob("sz-*")):
    text = (d / "result.json").read_text()
    found = {k: float(v) for k, v in pat.findall(text)}
    tag = d.name.rsplit("-c", 1)[0]
    print(
        f"{tag}: preemptions {found.get('vllm_nexus_preemptions_total', 0):.0f},"
        f" size-declined waiting calls {found.get('vllm_nexus_preemptions_size_declined_total', 0):.0f}"
    )
