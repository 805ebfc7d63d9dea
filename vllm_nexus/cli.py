"""The ``vllm-nexus`` command. Each subcommand lives in its own module, imported lazily.

A subcommand module provides ``add_arguments(parser)`` and ``run(args) -> int``; keep its
top-level imports light (no vLLM/torch) so ``vllm-nexus --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "tiny-model": ("vllm_nexus.serving.tiny_model", "build the embedded tiny random-weight model"),
    "bench": ("vllm_nexus.bench.cli", "program-level load generator and reports"),
    "simulate": ("vllm_nexus.sim.cli", "virtual-time simulation of the real schedulers"),
    "profile": (
        "vllm_nexus.split.profiler",
        "measure a prefill/decode SM-split cost profile (CUDA)",
    ),
    "cluster": ("vllm_nexus.cluster.cli", "program-affine multi-engine deployment on Ray Serve"),
    "validate-gpu": (
        "vllm_nexus.validation.cli",
        "one-shot (<10 min) check of the prefill/decode split on one CUDA GPU",
    ),
    "kv-offload-args": (
        "vllm_nexus.kv_offload",
        "the vllm serve arguments of the host KV tier (vllm_nexus.kv_offload, CUDA only)",
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vllm-nexus", description=__doc__.splitlines()[0])
    from vllm_nexus import __version__

    parser.add_argument("--version", action="version", version=f"vllm-nexus {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in SUBCOMMANDS.items():
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name and e.name.startswith("vllm_nexus"):
                continue  # subcommand not built yet
            raise
        p = sub.add_parser(name, help=help_text, description=help_text)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
