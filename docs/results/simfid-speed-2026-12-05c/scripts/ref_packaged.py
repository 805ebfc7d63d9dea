# ruff: noqa
"""Give the packaged per-host profile its speed-probe reference (once, 2026-12-05 (c)).

Its calibration (2026-12-04 22:38 UTC) ran before the speed probe existed, so the reference is
the same statistic (median engine-clock period / the profile's modelled time, one-request
pure-decode steps) over that calibration's designed load, read from its committed step log by
vllm_nexus.sim.speed.reference_from_log (what `simulate calibrate --from-log` records for a log
without a probe). usage: python ref_packaged.py PROFILE LOG.jsonl.gz"""
import gzip, json, sys, tempfile
from pathlib import Path
from vllm_nexus.perf.hardware import load_profile
from vllm_nexus.sim.speed import reference_from_log

prof, log = Path(sys.argv[1]), Path(sys.argv[2])
plain = Path(tempfile.mkdtemp()) / log.stem
plain.write_bytes(gzip.open(log).read())
ref = reference_from_log(plain, load_profile(prof))
ref["log"] = str(log)
ref["note"] = ("no speed probe was recorded at this calibration (2026-12-04 22:38 UTC): the "
               "probe's statistic over the designed load's one-request decode steps (contexts "
               "64-3000, unstreamed); docs/results/simfid-speed-2026-12-05c/")
doc = json.loads(prof.read_text())
doc["speed_probe"] = ref
prof.write_text(json.dumps(doc, indent=1) + "\n")
print(json.dumps(ref))
