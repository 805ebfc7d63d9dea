"""Program inference from prompt lineage: a call that names no program joins the program of
the earlier call whose prompt *and output* its prompt continues.

Most clients (the OpenAI SDK, agent frameworks, vLLM's own benchmarks) send no program id,
yet the next turn of a conversation, the next step of a ReAct agent or a tree-search child
re-sends its parent's whole context: the parent's prompt, then the parent's generated tokens.
That is the evidence used here, and both parts are required:

1. **prefix**: the new prompt starts with an earlier call's *whole* prompt (exact, compared by
   a 64-bit rolling hash over token ids);
2. **output**: right after that prefix the new prompt carries the earlier call's generated
   tokens: at least ``MIN_HITS`` of the earlier output's sketch (the smallest hashes of its
   ``K``-token windows, from the whole output and from its tail) occur among the ``K``-token
   windows of the next
   ``2 * len(output) + SLACK`` tokens. A sketch, not an exact comparison, because a chat
   template re-tokenizes the output text (and may drop reasoning); with random gibberish
   tokens 60-70% of 4-8 token windows survive that here.

**Scoped by tenant** (:mod:`vllm_nexus.programs.tenants`): every key is mixed with a hash
of the caller's tenant, so a call only ever joins a program of its own tenant (one tenant
cannot steer its calls into, or learn anything from, another tenant's programs), and one
tenant's remembered calls never crowd another's candidates.

A shared system prompt therefore never merges unrelated programs: two programs that share it
(or even their whole first prompt) differ in what their calls generated, and among several
earlier calls with the same prompt the one whose output matches best wins. Explicit ids
always win (the caller asks only for calls without one).

Cost: O(prompt) vectorised work when a call arrives (one cumulative hash; a counting filter
picks the few positions worth a dictionary look-up) and O(output) per completed call.
Completed calls are queued (:meth:`LineageIndex.defer`, O(1)) and hashed in batches of
``batch`` calls, one set of vector operations per batch instead of ~20 small ones per call;
the queue is drained before any look-up (:meth:`LineageIndex.match`, ``len``), so what a new
call can match is exactly what eager recording would have given. Memory: at most
``max_calls`` remembered calls (about 0.7 KB each), each forgotten after ``ttl_s``, plus at
most ``batch`` queued calls' token lists. Pure Python + numpy, no vLLM import.
"""

from __future__ import annotations

import array
import hashlib
import itertools
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

K = 6
"""Window length (tokens) of the output sketch."""
SKETCH = 16
"""Windows kept per output: the ``SKETCH / 2`` smallest hashes of the whole output and of its
last ``TAIL`` tokens (smallest hashes: position-independent, robust to local edits; the tail
is what survives a template that drops reasoning from the history)."""
TAIL = 48
MIN_HITS = 2
"""Sketch windows that must reappear after the prefix (fewer if the output has fewer)."""
SLACK = 16
"""Tokens beyond ``2 * len(output)`` searched after the prefix (template tokens, re-tokenized
output of another length)."""
MAX_CANDIDATES = 32
"""Remembered calls examined per new call at most (bounds adversarial prompts)."""
BATCH = 32
"""Completed calls queued before they are hashed together (:meth:`LineageIndex.defer`)."""

_U = np.uint64
_M1, _M2 = _U(0xBF58476D1CE4E5B9), _U(0x94D049BB133111EB)
_P_TOKEN, _P_POS, _P_GRAM = _U(0x9E3779B97F4A7C15), _U(0xD6E8FEB86659FD93), _U(0x100000001B3)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, element-wise (uint64 arithmetic wraps), IN PLACE: ``x`` must
    be a uint64 temporary of the caller's; returned for chaining."""
    x ^= x >> _U(30)
    x *= _M1
    x ^= x >> _U(27)
    x *= _M2
    x ^= x >> _U(31)
    return x


@lru_cache(maxsize=4096)
def tenant_salt(tenant: str) -> int:
    """64-bit salt of a tenant, mixed into every prompt key of its calls ("" = no tenant)."""
    if not tenant:
        return 0
    return int.from_bytes(hashlib.blake2b(tenant.encode(), digest_size=8).digest(), "little")


def as_tokens(ids: Sequence[int] | np.ndarray) -> np.ndarray:
    if isinstance(ids, np.ndarray):
        return ids.astype(_U, copy=False)
    return np.fromiter(ids, dtype=_U, count=len(ids))


def prefix_hashes(a: np.ndarray) -> np.ndarray:
    """``h[i]``: hash of ``a[: i + 1]`` (a sum of position-salted token hashes)."""
    pos = np.arange(len(a), dtype=_U)
    with np.errstate(over="ignore"):
        return np.cumsum(_mix(a * _P_TOKEN + pos * _P_POS + _U(1)), dtype=_U)


def window_hashes(a: np.ndarray, k: int) -> np.ndarray:
    """Hashes of every ``k``-token window of ``a`` (independent of where the window sits).

    The polynomial ``sum((a[i + j] + 1) * P**(k - 1 - j))`` (uint64, wrapping), by Horner's
    rule over whole columns in place, the ``+ 1`` terms folded into one constant: a dozen
    vector operations whatever the length (this runs for every completed call)."""
    n = len(a) - k + 1
    if n <= 0:
        return np.empty(0, dtype=_U)
    a = a.astype(_U, copy=False)
    g = a[:n].copy()  # updated in place below
    with np.errstate(over="ignore"):
        for j in range(1, k):
            g *= _P_GRAM
            g += a[j : j + n]
        g += _gram_ones(k)
        g ^= _U(k)
        return _mix(g)


def _gram_ones(k: int) -> np.uint64:
    """``sum(P**i for i < k)`` mod 2**64: the ``+ 1`` of every token of a window."""
    c = _GRAM_ONES.get(k)
    if c is None:
        p, total = int(_P_GRAM), 0
        for i in range(k):
            total += pow(p, i, 1 << 64)
        c = _GRAM_ONES[k] = _U(total % (1 << 64))
    return c


_GRAM_ONES: dict[int, np.uint64] = {}


def _smallest_unique(g: np.ndarray, n: int) -> list[int]:
    """The ``n`` smallest distinct values of ``g``, ascending (``np.unique(g)[:n]``)."""
    out: list[int] = []
    for v in np.sort(g).tolist():
        if not out or v != out[-1]:
            out.append(v)
            if len(out) == n:
                break
    return out


def sketch_of(output: np.ndarray) -> tuple[int, np.ndarray]:
    """(window length, sketch) of an output (see :data:`SKETCH`)."""
    k = min(K, len(output))
    g = window_hashes(output, k)
    half = SKETCH // 2
    tail = g[max(0, len(g) - (TAIL - k + 1)) :]
    both = set(_smallest_unique(g, half)).union(_smallest_unique(tail, half))
    return k, np.array(sorted(both), dtype=_U)


def _starts(lens: np.ndarray) -> np.ndarray:
    """Offsets of concatenated sequences of lengths ``lens``."""
    starts = np.zeros(len(lens), dtype=np.intp)
    np.cumsum(lens[:-1], out=starts[1:])
    return starts


def _concat(
    seqs: Sequence[Sequence[int] | np.ndarray | array.array],
) -> tuple[np.ndarray, np.ndarray]:
    """(lengths, concatenated uint64 tokens) of ``seqs``: one pass in C (one memory copy
    when all are ``array('q')``, as :meth:`LineageIndex.defer` queues them)."""
    lens = np.fromiter(map(len, seqs), dtype=np.intp, count=len(seqs))
    if seqs and all(type(s) is array.array and s.typecode == "q" for s in seqs):
        # token ids are >= 0 (array('q') would have refused anything beyond int64): the
        # int64 bits are the uint64 values ``np.fromiter(..., dtype=uint64)`` gives
        joined = np.frombuffer(b"".join(seqs), dtype=np.int64)
        return lens, joined.view(_U) if joined.size else np.empty(0, dtype=_U)
    total = int(lens.sum())
    return lens, np.fromiter(itertools.chain.from_iterable(seqs), dtype=_U, count=total)


def _copy_tokens(ids: Sequence[int] | np.ndarray) -> array.array | list[int]:
    """A copy of token ids as ``array('q')`` (a list if any does not fit in int64: then
    :func:`_concat` takes its general path and raises as before). Another sequence (vLLM's
    ``ConstantList`` of output ids) is listed first: ``array`` copies a list item by item in
    C, but grows item by item through the iterator of anything else (twice as slow)."""
    try:
        return array.array("q", ids if isinstance(ids, (list, np.ndarray)) else list(ids))
    except (OverflowError, TypeError):
        return list(ids)


def prompt_keys(prompts: Sequence[Sequence[int] | np.ndarray]) -> list[int]:
    """:attr:`Prompt.key` of each non-empty prompt (the last prefix hash), all at once."""
    lens, a = _concat(prompts)
    starts = _starts(lens)
    pos = (np.arange(len(a), dtype=np.intp) - np.repeat(starts, lens)).astype(_U)
    with np.errstate(over="ignore"):
        return np.add.reduceat(_mix(a * _P_TOKEN + pos * _P_POS + _U(1)), starts).tolist()


def _first_distinct(seg: np.ndarray, h: np.ndarray, n: int) -> np.ndarray:
    """Mask over (seg, h) pairs sorted by (seg, h): the first of each distinct pair, among
    the ``n`` smallest distinct ``h`` of its segment."""
    first = np.ones(len(seg), dtype=bool)
    first[1:] = (seg[1:] != seg[:-1]) | (h[1:] != h[:-1])
    d = np.flatnonzero(first)
    sd = seg[d]
    rank = np.arange(len(d)) - np.searchsorted(sd, sd, side="left")
    mask = np.zeros(len(seg), dtype=bool)
    mask[d[rank < n]] = True
    return mask


def _by_segment_then_hash(seg: np.ndarray, h: np.ndarray, segments: int) -> np.ndarray:
    """``np.lexsort((h, seg))`` (the permutation sorting by segment, then hash, ties in input
    order), as two stable sorts: by hash, then by segment with the segment numbers in the
    smallest integer type, which numpy sorts by radix (~3-4x faster than ``lexsort``)."""
    order = np.argsort(h, kind="stable")
    small = np.uint8 if segments <= 1 << 8 else np.uint16 if segments <= 1 << 16 else np.intp
    return order[np.argsort(seg[order].astype(small), kind="stable")]


def sketches_of(outputs: Sequence[Sequence[int] | np.ndarray]) -> list[tuple[int, np.ndarray]]:
    """:func:`sketch_of` of each non-empty output (the same values): the outputs of at least
    ``K`` tokens are hashed together, their windows sorted by (output, hash) in one sort."""
    result: list[Any] = [None] * len(outputs)
    long = []
    for i, out in enumerate(outputs):
        if len(out) >= K:
            long.append(i)
        else:
            result[i] = sketch_of(as_tokens(out))
    if not long:
        return result
    lens, a = _concat([outputs[i] for i in long])
    g = window_hashes(a, K)  # windows across two outputs are masked out below
    n = len(g)
    seg = np.repeat(np.arange(len(long), dtype=np.intp), lens)[:n]
    end = np.repeat(lens, lens)[:n]
    pos = (np.arange(len(a), dtype=np.intp) - np.repeat(_starts(lens), lens))[:n]
    valid = np.flatnonzero(pos <= end - K)
    seg, h, tail = seg[valid], g[valid], pos[valid] >= end[valid] - TAIL
    order = _by_segment_then_hash(seg, h, len(long))
    seg, h, tail = seg[order], h[order], tail[order]
    half = SKETCH // 2
    keep = _first_distinct(seg, h, half)
    t = np.flatnonzero(tail)
    keep[t[_first_distinct(seg[t], h[t], half)]] = True
    seg, h = seg[keep], h[keep]
    # a hash kept from both the whole output and its tail: drop the repeat (still sorted)
    again = np.zeros(len(seg), dtype=bool)
    again[1:] = (seg[1:] == seg[:-1]) & (h[1:] == h[:-1])
    seg, h = seg[~again], h[~again]
    bounds = np.searchsorted(seg, np.arange(len(long) + 1)).tolist()
    for j, i in enumerate(long):
        result[i] = (K, h[bounds[j] : bounds[j + 1]])
    return result


_Entry = tuple[str, int, int, int, np.ndarray, float]
"""A remembered call: (program id, prompt length, output length, k, sketch, time). A plain
tuple of atoms and an array, not a class: CPython's collector stops tracking such a tuple (and
the pair in :attr:`LineageIndex._order` holding it) the first time it sees it, so the
``max_calls`` remembered calls are not walked by every full collection (an instance, even of a
``__slots__`` class, stays tracked: with its pair and its key's list, three objects a call)."""
_PROGRAM, _PROMPT_LEN, _OUTPUT_LEN, _K, _SKETCH, _TIME = range(6)


@dataclass(frozen=True)
class Match:
    """An earlier call the new prompt continues."""

    program_id: str
    prompt_len: int
    """Length of the earlier call's prompt (the matched prefix)."""
    hits: int
    """Sketch windows of the earlier output found after the prefix."""


class Prompt:
    """A new call's prompt, hashed once (:meth:`LineageIndex.prompt`)."""

    __slots__ = ("tokens", "hashes")

    def __init__(self, tokens: np.ndarray) -> None:
        self.tokens = tokens
        self.hashes = prefix_hashes(tokens)

    @property
    def key(self) -> int | None:
        """Hash of the whole prompt (None when empty)."""
        return int(self.hashes[-1]) if len(self.hashes) else None


class LineageIndex:
    """Remembers completed calls by prompt hash and output sketch; finds the one a new prompt
    continues. ``max_calls`` bounds memory, ``ttl_s`` forgets calls older than that (use the
    program table's TTL: an idle program is forgotten then anyway)."""

    def __init__(self, max_calls: int = 32_768, ttl_s: float = 600.0, batch: int = BATCH) -> None:
        if max_calls < 1 or batch < 1:
            raise ValueError("max_calls and batch must be >= 1")
        self.max_calls = max_calls
        self.ttl_s = ttl_s
        self._by_key: dict[int, _Entry | list[_Entry]] = {}
        """Prompt key -> its remembered call, or a list of them (oldest first) when several
        share the key (a list is a tracked object: only for shared keys)."""
        self._order: OrderedDict[int, tuple[int, _Entry]] = OrderedDict()
        self._serial = 0
        bits = max(16, (64 * max_calls - 1).bit_length())
        self._mask = _U((1 << bits) - 1)
        self._slot_mask = (1 << bits) - 1
        self._counts = bytearray(1 << bits)
        """Counting filter over prompt-hash keys: which prefix positions deserve a look-up
        (one count per slot, saturating at 255; a bytearray: one slot is read and written
        per remembered or forgotten call, cheaply in Python)."""
        self._filter = np.frombuffer(self._counts, dtype=np.uint8)
        """The same counts as a numpy array (no copy; the look-up reads many slots at once)."""
        self.batch = batch
        self._pending: list[tuple] = []
        """Completed calls not hashed yet (:meth:`defer`), oldest first."""

    def __len__(self) -> int:
        self.flush()
        return len(self._order)

    @staticmethod
    def prompt(prompt_ids: Sequence[int] | np.ndarray) -> Prompt:
        """Hash a prompt once: O(len) vectorised."""
        return Prompt(as_tokens(prompt_ids))

    # -- a new call -------------------------------------------------------------------------
    def match(self, prompt: Prompt, now: float, tenant: str = "") -> Match | None:
        """The earlier call of ``tenant`` that ``prompt`` continues (prompt and output), or
        None."""
        self.flush()
        self._expire(now)
        h = prompt.hashes ^ _U(tenant_salt(tenant)) if tenant else prompt.hashes
        if not self._order or len(h) < 2:
            return None
        slots = (h[:-1] & self._mask).astype(np.intp)  # a prefix must leave room for output
        positions = np.nonzero(self._filter[slots])[0]
        examined = 0
        for i in positions[::-1]:  # longest earlier prompt first
            found = self._by_key.get(int(h[i]))
            if found is None:
                continue
            length = int(i) + 1
            best: Match | None = None
            for e in found if type(found) is list else (found,):
                if e[_PROMPT_LEN] != length or now - e[_TIME] >= self.ttl_s:
                    continue
                examined += 1
                hits = self._hits(prompt.tokens, e)
                if hits >= min(MIN_HITS, len(e[_SKETCH])) and (best is None or hits > best.hits):
                    best = Match(e[_PROGRAM], length, hits)
            if best is not None:
                return best
            if examined >= MAX_CANDIDATES:
                break
        return None

    @staticmethod
    def _hits(tokens: np.ndarray, e: _Entry) -> int:
        _, start, output_len, k, sketch, _ = e
        region = tokens[start : start + 2 * output_len + SLACK]
        return int(np.isin(sketch, window_hashes(region, k)).sum())

    # -- a completed call -----------------------------------------------------------------
    def record(
        self,
        prompt_key: int | None,
        prompt_len: int,
        output_ids: Sequence[int] | np.ndarray,
        program_id: str,
        now: float,
        tenant: str = "",
    ) -> bool:
        """Remember a completed call of ``tenant`` (``prompt_key``: :attr:`Prompt.key`) now
        (after the queued ones). O(len(output))."""
        if prompt_key is None or prompt_len < 1 or len(output_ids) == 0:
            return False
        self.flush()
        k, sketch = sketch_of(as_tokens(output_ids))
        self._insert(
            [(prompt_key, prompt_len, len(output_ids), k, sketch, program_id, now, tenant)]
        )
        self._expire(now)
        return True

    def defer(
        self,
        prompt_key: int | None,
        prompt_len: int,
        output_ids: Sequence[int] | np.ndarray,
        program_id: str,
        now: float,
        tenant: str = "",
        prompt_ids: Sequence[int] | None = None,
    ) -> bool:
        """:meth:`record`, queued: O(len(output)) copy now, hashed with up to ``batch`` other
        calls at the next :meth:`flush` (before any look-up, or when the queue is full).
        Without ``prompt_key``, ``prompt_ids`` (not modified afterwards) is hashed then."""
        if prompt_key is None and prompt_ids is None or prompt_len < 1 or len(output_ids) == 0:
            return False
        self._pending.append(  # a compact copy (one memory copy each at the flush)
            (prompt_key, prompt_ids, prompt_len, _copy_tokens(output_ids), program_id, now, tenant)
        )
        if len(self._pending) >= self.batch:
            self.flush()
        return True

    def flush(self) -> int:
        """Hash and remember the queued calls, in order (one vectorised pass). Returns how
        many were queued."""
        pending, self._pending = self._pending, []
        if not pending:
            return 0
        unkeyed = [i for i, p in enumerate(pending) if p[0] is None]
        keys = [p[0] for p in pending]
        if unkeyed:
            hashed = prompt_keys([pending[i][1] for i in unkeyed])
            for i, key in zip(unkeyed, hashed, strict=True):
                keys[i] = key
        sketches = sketches_of([p[3] for p in pending])
        self._insert(
            (key, plen, len(out), k, sketch, pid, now, tenant)
            for key, (_, _, plen, out, pid, now, tenant), (k, sketch) in zip(
                keys, pending, sketches, strict=True
            )
        )
        self._expire(pending[-1][5])
        return len(pending)

    def _insert(self, rows: Iterable[tuple]) -> None:
        """Remember completed calls, in order: rows of (prompt key, prompt length, output
        length, k, sketch, program id, time, tenant)."""
        by_key, order, counts, mask = self._by_key, self._order, self._counts, self._slot_mask
        salts: dict[str, int] = {}  # tenant -> its salt (a batch is usually one tenant's)
        for prompt_key, prompt_len, output_len, k, sketch, program_id, now, tenant in rows:
            salt = salts.get(tenant)
            if salt is None:
                salt = salts[tenant] = tenant_salt(tenant)
            prompt_key ^= salt
            entry = (program_id, prompt_len, output_len, k, sketch, now)
            found = by_key.get(prompt_key)
            if found is None:
                by_key[prompt_key] = entry
            elif type(found) is list:
                found.append(entry)
            else:
                by_key[prompt_key] = [found, entry]
            self._serial += 1
            order[self._serial] = (prompt_key, entry)
            slot = prompt_key & mask
            if counts[slot] < 255:
                counts[slot] += 1

    def _expire(self, now: float) -> None:
        """Forget calls past the TTL, then the oldest beyond capacity. O(1) amortised."""
        while self._order:
            serial, (key, entry) = next(iter(self._order.items()))
            if now - entry[_TIME] < self.ttl_s and len(self._order) <= self.max_calls:
                break
            del self._order[serial]
            found = self._by_key[key]
            if type(found) is list:
                # the oldest call of its key leaves first; found by identity (== would compare
                # the sketch arrays)
                i = next(i for i, e in enumerate(found) if e is entry)
                del found[i]
                if len(found) == 1:
                    self._by_key[key] = found[0]
            else:
                del self._by_key[key]
            slot = key & self._slot_mask
            if 0 < self._counts[slot] < 255:  # a saturated slot stays set (false positives only)
                self._counts[slot] -= 1
