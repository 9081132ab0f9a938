"""A deal's brief versions and their review: which version to show, who accepted or sent it
back, when and why, and the review carried into every rendering of a stored version."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from .config import Settings
from .errors import ConfigError, NotFound
from .info import stored_records
from .records import BriefInfo, BriefRecord, Records, no_such_deal
from .schema import Brief, Review


def review_of(info: BriefInfo | BriefRecord) -> Review:
    return Review(
        version=info.version,
        status=info.status,
        created_by=info.created_by,
        created_at=info.created_at,
        reviewed_by=info.reviewed_by,
        reviewed_at=info.reviewed_at,
        reason=info.note,
    )


def with_review(record: BriefRecord) -> Brief:
    """The stored brief as people see it: its body with the version's review state."""
    brief = record.brief.model_copy(deep=True)
    brief.review = review_of(record)
    return brief


def default_version(versions: list[BriefInfo]) -> BriefInfo | None:
    """What a deal opens on: the latest accepted version, else the latest version."""
    accepted = [v for v in versions if v.status == "accepted"]
    if accepted:
        return accepted[-1]
    return versions[-1] if versions else None


def find_version(records: Records, deal_id: str, version: int | None) -> BriefInfo | None:
    """One version of a deal (the default one when `version` is None); None if it has none."""
    versions = records.brief_versions(deal_id)
    if version is None:
        return default_version(versions)
    for v in versions:
        if v.version == version:
            return v
    raise NotFound(f"deal '{deal_id}' has no version {version} (it has {len(versions)})")


@contextmanager
def _deal_records(settings: Settings, deal_id: str) -> Iterator[Records]:
    """The record database opened for reading, once the deal is known to be in it."""
    with stored_records(settings) as records:
        if records is None:
            raise no_such_deal(deal_id)
        records.get_deal(deal_id)
        yield records


def stored_versions(settings: Settings, deal_id: str) -> list[BriefInfo]:
    """Every stored version of a deal's brief, oldest first, read without writing anything."""
    with _deal_records(settings, deal_id) as records:
        return records.brief_versions(deal_id)


def stored_brief(settings: Settings, deal_id: str, version: int | None = None) -> Brief:
    """One stored version as people see it (the default one when `version` is None), with its
    review state; nothing is written and no engine runs."""
    with _deal_records(settings, deal_id) as records:
        info = find_version(records, deal_id, version)
        if info is None:
            raise NotFound(f"deal '{deal_id}' has no brief yet: write one with `briefgen brief {deal_id}`")
        return with_review(records.get_brief(info.id))


def review(
    records: Records, brief_id: int, accept: bool, reason: str, user: str | None, seen: str
) -> BriefInfo:
    """Accept or send back one version. `seen` is the review state the reviewer was shown
    (`BriefInfo.seen`): a version replaced or reviewed since is refused (`Conflict`)."""
    reason = (reason or "").strip()
    if not accept and not reason:
        raise ConfigError("say why the brief goes back (the reason is kept with it)")
    return records.review_brief(
        brief_id, "accepted" if accept else "returned", reason or None, reviewed_by=user, seen=seen
    )


def when(stamp: str | None) -> str:
    """A stored UTC timestamp as people read it: 2026-11-20 14:05 UTC."""
    if not stamp:
        return ""
    try:
        return datetime.fromisoformat(stamp).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return stamp


def describe(info: BriefInfo) -> str:
    """One line: version, status, who and when."""
    line = f"version {info.version} · {info.status}"
    if info.reviewed_by or info.reviewed_at:
        line += f" by {info.reviewed_by or 'unknown'} on {when(info.reviewed_at)}"
    if info.note:
        line += f" ({info.note})"
    made = f" by {info.created_by}" if info.created_by else ""
    return line + f" · written{made} on {when(info.created_at)} · engine {info.engine}"
