"""What pages read about a curriculum's outcomes, kept in memory per curriculum version.

A curriculum's outcomes change only when a curriculum file is loaded (or a bundle
imports one), so what the progress engine reads about them (codes, titles, tree,
evidence rules, assessments) is the same on every request until then. Decoding it
from the database each time cost about a thousand JSON values a request for a
300-outcome curriculum. Each process keeps it here instead, keyed by the curriculum's
id, content hash and load time, which every load changes
(``curriculum.services._load_curriculum``): a load made by another process is seen
at the next request, because the key read with the enrolment no longer matches.

In this process the cache is also emptied whenever a flush writes an outcome or a
curriculum, and again when that transaction ends, and a session with such changes
pending reads from the database, so nothing reads outcome rows its own transaction
has changed from the cache. Per Flask app (``app.extensions``), bounded (least
recently used first out).
"""

from collections import OrderedDict
from collections.abc import Callable
from collections.abc import Mapping
from threading import Lock
from typing import Any
from typing import TypeVar

import sqlalchemy as sa
from flask import current_app
from flask_sqlalchemy.session import Session

from portfolio.extensions import db

T = TypeVar("T")
MAX_ENTRIES = 128  # (curriculum version, kind of entry) pairs per process
EXTENSION = "curriculum_spec_cache"
CHANGED = "curriculum_outcomes_changed"  # session.info flag: outcomes written here


class LruCache:
    """A thread-safe mapping of at most ``max_entries``, least recently used out."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.entries: OrderedDict[tuple, Any] = OrderedDict()
        self.max_entries = max_entries
        self.lock = Lock()

    def get(self, key: tuple) -> Any:
        with self.lock:
            if key not in self.entries:
                return None
            self.entries.move_to_end(key)
            return self.entries[key]

    def put(self, key: tuple, value: Any) -> None:
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


def _cache() -> LruCache:
    return current_app.extensions.setdefault(EXTENSION, LruCache())


def outcomes_changed_here() -> bool:
    """Whether this session has written outcomes or curricula not yet committed (its
    reads of them must come from the database, not from any cache)."""
    return bool(db.session.info.get(CHANGED))


def stamp(curriculum) -> tuple | None:
    """What identifies this version's outcomes (None: unknown, do not cache)."""
    try:
        content_hash, loaded_at = curriculum.content_hash, curriculum.loaded_at
    except (AttributeError, sa.exc.InvalidRequestError):
        return None
    if not content_hash:
        return None
    return (content_hash, loaded_at.isoformat() if loaded_at else "")


def cached(
    kind: str,
    curricula: Mapping[str, Any],
    load: Callable[[list[str]], Mapping[str, T]],
    empty: Callable[[], T],
) -> dict[str, T]:
    """``load(ids)`` for each curriculum of ``curricula`` (id -> Curriculum), from
    the cache where it holds this version; the rest are loaded in one call and kept.
    ``kind`` names what ``load`` returns; ``empty()`` is the value for a curriculum
    ``load`` says nothing about (kept too, so it is not asked again)."""
    if outcomes_changed_here():
        found = load(sorted(curricula))
        return {cid: found.get(cid, empty()) for cid in curricula}
    cache = _cache()
    result: dict[str, T] = {}
    wanted: dict[str, tuple | None] = {}
    for cid, curriculum in curricula.items():
        key = stamp(curriculum)
        hit = cache.get((kind, cid, key)) if key else None
        if hit is not None:
            result[cid] = hit
        else:
            wanted[cid] = key
    if wanted:
        found = load(sorted(wanted))
        for cid, key in wanted.items():
            value = found.get(cid, empty())
            result[cid] = value
            if key:
                cache.put((kind, cid, key), value)
    return result


def clear() -> None:
    """Forget everything (``flask curricula load`` and the flush hook call this)."""
    _cache().clear()


def _note(session, flush_context, instances) -> None:
    from portfolio.curriculum.models import Curriculum
    from portfolio.curriculum.models import Outcome

    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Outcome | Curriculum):
            session.info[CHANGED] = True
            if current_app:
                clear()
            return


def _ended(session, *args) -> None:
    if session.info.pop(CHANGED, None) and current_app:
        clear()


def install() -> None:
    """Listen on the app's session class (idempotent)."""
    for name, fn in (
        ("before_flush", _note),
        ("after_commit", _ended),
        ("after_rollback", _ended),
    ):
        if not sa.event.contains(Session, name, fn):
            sa.event.listen(Session, name, fn)


install()
