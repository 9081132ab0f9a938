"""Which files belong to which deal, and loading each with the loader for its format."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from ..errors import ConfigError, EmptySource, IngestError, UnreadableSource, UnsupportedFormat
from ..schema import Deal
from .document import SourceDocument
from .loaders import LOADERS
from .text import decode_bytes

DEAL_FILE = "deal.json"
_DEAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def check_deal_id(deal_id: str) -> str:
    if not _DEAL_ID.match(deal_id):
        raise ConfigError(
            f"deal id {deal_id!r} is not valid: use letters, digits, '.', '_' or '-' "
            "(at most 128, starting with a letter or digit)"
        )
    return deal_id


def slug(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")
    return s[:128] or "deal"


@dataclass
class DealFiles:
    deal_id: str
    root: Path | None
    files: list[Path] = field(default_factory=list)
    deal: Deal | None = None


def read_deal_file(path: Path) -> Deal:
    try:
        data = json.loads(decode_bytes(path.read_bytes(), str(path)))
    except json.JSONDecodeError as exc:
        raise UnreadableSource(path, f"invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    except OSError as exc:
        raise UnreadableSource(path, exc.strerror or str(exc)) from exc
    if not isinstance(data, dict):
        raise UnreadableSource(path, "expected a JSON object of CRM fields")
    data.setdefault("deal_id", slug(path.parent.name))
    try:
        deal = Deal.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise UnreadableSource(path, f"field '{loc}': {first['msg']}") from exc
    try:
        check_deal_id(deal.deal_id)
    except ConfigError as exc:
        # A bad file among the inputs is skipped and reported; the rest still ingest.
        raise UnreadableSource(path, str(exc)) from None
    return deal


def _visible(path: Path) -> bool:
    return not path.name.startswith(".")


def _is_deal_folder(folder: Path) -> bool:
    return any(p.is_file() and _visible(p) for p in folder.iterdir())


def plan(paths: list[Path], deal_override: str | None = None) -> tuple[list[DealFiles], list[IngestError]]:
    """Group files by deal: a folder with files is one deal; a folder of folders is many."""
    if deal_override is not None:
        check_deal_id(deal_override)
    groups: dict[str, DealFiles] = {}
    problems: list[IngestError] = []

    def group_for(deal_id: str, root: Path | None) -> DealFiles:
        if deal_id not in groups:
            groups[deal_id] = DealFiles(deal_id, root)
        return groups[deal_id]

    def add_folder(folder: Path) -> None:
        deal: Deal | None = None
        deal_file = folder / DEAL_FILE
        if deal_file.is_file():
            try:
                deal = read_deal_file(deal_file)
            except IngestError as exc:
                problems.append(exc)
        deal_id = deal_override or (deal.deal_id if deal else slug(folder.name))
        group = group_for(deal_id, folder)
        if deal is not None:
            group.deal = deal.model_copy(update={"deal_id": deal_id})
        for p in sorted(folder.rglob("*")):
            if (
                p.is_file()
                and p.name != DEAL_FILE
                and all(not part.startswith(".") for part in p.relative_to(folder).parts)
            ):
                group.files.append(p)

    def walk(folder: Path) -> None:
        if deal_override is not None or _is_deal_folder(folder):
            add_folder(folder)
            return
        subfolders = sorted(p for p in folder.iterdir() if p.is_dir() and _visible(p))
        if not subfolders:
            problems.append(EmptySource(folder, "folder holds no files"))
        for sub in subfolders:
            walk(sub)

    for raw in paths:
        path = Path(raw)
        if not path.exists():
            problems.append(UnreadableSource(path, "no such file or folder"))
        elif path.is_dir():
            walk(path)
        elif path.name == DEAL_FILE:
            add_folder(path.parent)
        else:
            deal_id = deal_override
            deal: Deal | None = None
            if deal_id is None:
                sibling = path.parent / DEAL_FILE
                if sibling.is_file():
                    try:
                        deal = read_deal_file(sibling)
                        deal_id = deal.deal_id
                    except IngestError as exc:
                        problems.append(exc)
                deal_id = deal_id or slug(path.resolve().parent.name)
            group = group_for(deal_id, path.parent)
            if deal is not None and group.deal is None:
                group.deal = deal
            group.files.append(path)
    return list(groups.values()), problems


def load_file(path: Path, max_bytes: int) -> list[SourceDocument]:
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        known = ", ".join(sorted(LOADERS))
        raise UnsupportedFormat(path, f"unknown format '{path.suffix or path.name}' (known: {known})")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableSource(path, exc.strerror or str(exc)) from exc
    if size > max_bytes:
        raise UnreadableSource(path, f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit")
    if size == 0:
        raise EmptySource(path, "file is empty")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableSource(path, exc.strerror or str(exc)) from exc
    try:
        return loader(path, data)
    except IngestError:
        raise
    except Exception as exc:  # a loader bug or a library's surprise must not stop the batch
        raise UnreadableSource(path, f"could not be parsed ({type(exc).__name__}: {exc})") from exc
