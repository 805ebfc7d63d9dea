"""Import a script of ``examples/`` as a module, for tests of its pure parts."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load_example(relpath: str) -> ModuleType:
    """The module at ``examples/<relpath>`` (e.g. ``"bench_sweep.py"``,
    ``"grafana/build_dashboard.py"``); ``examples/`` goes on ``sys.path`` first, since some
    scripts import their siblings."""
    path = EXAMPLES / relpath
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
