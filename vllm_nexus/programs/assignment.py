"""Which program a call joins: the id it names, else one inferred from its prompt, else its
own — counted, and optionally audited (``scheduler.program_inference_log``).

The scheduler calls :meth:`ProgramAssigner.assign` when a call arrives (after
:func:`vllm_nexus.programs.identity.resolve_program_id`) and :meth:`ProgramAssigner.finished`
when it leaves; the policy is :mod:`vllm_nexus.programs.lineage`. Calls that named their
program are remembered only while id-less calls are arriving (one within the lineage TTL;
``scheduler.program_inference_explicit``): nothing else would look them up. Requests are
duck-typed (``request_id``, ``prompt_token_ids``, ``output_token_ids``): no vLLM import.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

from vllm_nexus.config import SchedulerConfig
from vllm_nexus.programs.identity import SOLO_PREFIX
from vllm_nexus.programs.lineage import LineageIndex

logger = logging.getLogger(__name__)

SOURCES = ("explicit", "inferred", "solo")
"""``explicit``: the call named its program (vllm_xargs, session id, harness headers);
``inferred``: it continued an earlier call's prompt and output; ``solo``: neither, it starts a
program of its own (later calls may join it)."""


class ProgramAssigner:
    """Program assignment for the scheduler (see the module docstring)."""

    def __init__(self, cfg: SchedulerConfig) -> None:
        self.index = (
            LineageIndex(cfg.program_inference_max_calls, cfg.program_ttl_s)
            if cfg.program_inference == "lineage"
            else None
        )
        self._explicit_always = cfg.program_inference_explicit == "always"
        self._idless_at = float("-inf")
        """When the last id-less call arrived: explicit calls completed within the lineage TTL
        of it are remembered (``program_inference_explicit: after-idless``), others not."""
        self.counts: Counter[str] = Counter()
        self.last_source = "explicit"
        """How the last call given to :meth:`assign` found its program (one of ``SOURCES``)."""
        self._keys: dict[str, tuple[int | None, int]] = {}
        """Active id-less calls: request id -> (prompt hash, prompt length), for recording."""
        self._log: Any = None
        if cfg.program_inference_log:
            try:
                self._log = open(cfg.program_inference_log, "a", buffering=1)  # noqa: SIM115
            except OSError as e:
                logger.warning("vllm_nexus: cannot open program_inference_log: %s", e)

    def assign(self, request: Any, resolved: str, now: float, tenant: str = "") -> str:
        """The program of a new call; ``resolved`` comes from ``resolve_program_id``. An
        inferred program is always one of the same ``tenant``'s."""
        rid = request.request_id
        if resolved != SOLO_PREFIX + rid:
            self.counts["explicit"] += 1
            self.last_source = "explicit"
            return resolved
        if self.index is None or request.prompt_token_ids is None:
            self.counts["solo"] += 1
            self.last_source = "solo"
            return resolved
        self._idless_at = now
        prompt = self.index.prompt(request.prompt_token_ids)
        self._keys[rid] = (prompt.key, len(prompt.tokens))
        match = self.index.match(prompt, now, tenant)
        pid = resolved if match is None else match.program_id
        source = "solo" if match is None else "inferred"
        self.counts[source] += 1
        self.last_source = source
        if self._log is not None:
            self._audit(rid, pid, source, len(prompt.tokens), match, now)
        return pid

    def finished(
        self, request: Any, program_id: str, completed: bool, now: float, tenant: str = ""
    ) -> None:
        """A call of ``tenant`` left; a completed one is remembered for the calls (of the
        same tenant) that continue it. Queued (:meth:`LineageIndex.defer`): hashed in a
        batch, before the next id-less call looks for its program. A call that named its
        program is remembered only if id-less calls may come to continue it: one arrived
        within the lineage TTL (``program_inference_explicit: after-idless``), or always."""
        key = self._keys.pop(request.request_id, None)
        if self.index is None or not completed:
            return
        output = request.output_token_ids
        if key is not None:
            self.index.defer(key[0], key[1], output, program_id, now, tenant)
            return
        if not self._explicit_always and now - self._idless_at >= self.index.ttl_s:
            return  # no id-less traffic lately: nothing would look this call up
        prompt = request.prompt_token_ids  # an explicit call: its prompt is hashed in the batch
        if prompt is not None:
            self.index.defer(None, len(prompt), output, program_id, now, tenant, prompt)

    def last_unproven(self, program_id: str) -> bool:
        """Whether the last assigned call (given ``program_id``) belongs to an unproven
        program: one started by a call that named no program and continued no earlier call
        (solo), so it may be a fragment of a larger program whose context restarted. Its
        later calls, inferred into it, stay unproven; explicit programs and id-less calls that
        continue an explicit program's call are proven."""
        return self.last_source != "explicit" and program_id.startswith(SOLO_PREFIX)

    @property
    def remembered_calls(self) -> int:
        return 0 if self.index is None else len(self.index)

    def _audit(self, rid: str, pid: str, source: str, n: int, match: Any, now: float) -> None:
        line = {"t": round(now, 4), "request_id": rid, "program_id": pid, "source": source}
        line["prompt_tokens"] = n
        if match is not None:
            line["continues_prompt_tokens"] = match.prompt_len
            line["output_hits"] = match.hits
        try:
            self._log.write(json.dumps(line) + "\n")
        except (OSError, ValueError) as e:
            logger.warning("vllm_nexus: program_inference_log disabled: %s", e)
            self._log = None
