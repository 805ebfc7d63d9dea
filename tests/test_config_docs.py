"""Every tunable has one home: each field of the typed config is documented, with its default,
in docs/configuration.md."""

import dataclasses
import re
from pathlib import Path

import pytest

from vllm_nexus.config import NexusConfig

DOC = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text()


def _fields() -> list[tuple[str, dataclasses.Field]]:
    out = []
    for section in dataclasses.fields(NexusConfig):
        for f in dataclasses.fields(section.default_factory()):
            out.append((section.name, f))
    return out


@pytest.mark.parametrize("section,field", _fields(), ids=lambda x: getattr(x, "name", x))
def test_every_option_is_documented_in_its_section(section: str, field: dataclasses.Field) -> None:
    parts = re.split(r"^## ", DOC, flags=re.M)
    body = next((p for p in parts if p.startswith(f"`{section}`")), None)
    assert body is not None, f"docs/configuration.md has no '## `{section}`' section"
    row = next((ln for ln in body.splitlines() if ln.startswith(f"| `{field.name}` |")), None)
    assert row is not None, f"{section}.{field.name} is not in docs/configuration.md"
    assert len(row.split("|")) >= 4, f"{section}.{field.name}: the row needs default and why"
