"""Stand-in for torchvision, used only by ``make conformance``.

vLLM's scheduler tests build a LLaVA model config; importing vLLM's LLaVA module pulls in
transformers' Pixtral image processor, which imports ``torchvision.transforms.v2`` at module
level, and the dummy-input profiling runs the image processor once. PyPI's torchvision wheels are
built for CUDA torch and break beside the CPU torch (docs/install.md), so this package provides
the few functions that path calls (``transforms.v2.functional``, in plain torch) and makes any
other ``torchvision.*`` import succeed with placeholders that raise when used.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import types
from typing import Any

__version__ = "0.0.0+conformance-stand-in"


class _Placeholder:
    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, item: str) -> _Placeholder:
        return _Placeholder(f"{self._name}.{item}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"{self._name}: torchvision is a stand-in in conformance runs")

    def __mro_entries__(self, bases: tuple) -> tuple:
        return (object,)


class _Module(types.ModuleType):
    def __getattr__(self, item: str) -> Any:
        if item.startswith("__"):
            raise AttributeError(item)
        return _Placeholder(f"{self.__name__}.{item}")


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Last on sys.meta_path: any ``torchvision.*`` module without a file here."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname.startswith(__name__ + "."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec: Any) -> types.ModuleType:
        module = _Module(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        pass


sys.meta_path.append(_Finder())
sys.modules[__name__].__class__ = _Module
