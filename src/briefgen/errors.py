"""The one exception tree of briefgen.

    BriefgenError
    ├── ConfigError            a setting or flag has a value briefgen cannot use
    ├── IngestError            one source could not be ingested (carries the path)
    │   ├── UnsupportedFormat  the file's type has no loader
    │   ├── EmptySource        the file holds no usable text
    │   └── UnreadableSource   the file could not be read or decoded
    ├── StoreError             the vector store or the record database failed
    │   ├── StoreFull          no space left to store what was sent
    │   └── LeaseLost          a worker's hold on a job expired and another worker took it
    ├── NotFound               a deal, brief or source id that does not exist
    ├── Conflict               an action on a version someone else has since changed or replaced
    ├── EngineError            an engine could not write a brief
    │   └── ModelError         a language model call failed (retryable or not)
    │       └── MethodUnsupported  the endpoint refuses this structured-output method
    └── EmbeddingError         the embedding model could not be loaded or run

Every message names the file, field or id it is about, so that a CLI can print
it as one line.
"""

from __future__ import annotations

import re
from pathlib import Path


class BriefgenError(Exception):
    """Base class of every error briefgen raises on purpose."""


class ConfigError(BriefgenError):
    pass


class IngestError(BriefgenError):
    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class UnsupportedFormat(IngestError):
    pass


class EmptySource(IngestError):
    pass


class UnreadableSource(IngestError):
    pass


class StoreError(BriefgenError):
    pass


class StoreFull(StoreError):
    pass


class LeaseLost(StoreError):
    pass


class NotFound(BriefgenError):
    pass


class Conflict(BriefgenError):
    pass


class EngineError(BriefgenError):
    pass


class EmbeddingError(BriefgenError):
    pass


class ModelError(EngineError):
    def __init__(self, message: str, retryable: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class MethodUnsupported(ModelError):
    pass


_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s/:'\"()]{1,255}/){1,40}[^\s/:'\"()]{0,255}")


def without_paths(message: str, home: Path) -> str:
    """An error as someone on the other side of a server may see it: the server's folders left
    out (a file keeps its name)."""
    for folder in sorted({str(home.resolve()), str(home)}, key=len, reverse=True):
        message = message.replace(folder + "/", "").replace(folder, "the data home")
    return _ABSOLUTE_PATH.sub(lambda m: Path(m.group(0)).name, message)


def rebuilt(type_name: str | None, message: str) -> BriefgenError:
    """An error a worker recorded on a job (its class name and message), raised again where
    the job was awaited: a waiting API answers with the status the error had when the work ran
    inline. An unknown or missing name is a plain BriefgenError."""
    known: dict[str, type[BriefgenError]] = {}
    pending: list[type[BriefgenError]] = [BriefgenError]
    while pending:
        cls = pending.pop()
        known[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    cls = known.get(type_name or "", BriefgenError)
    if issubclass(cls, IngestError):
        path, sep, reason = message.partition(": ")
        return cls(path, reason) if sep else cls("upload", message)
    return cls(message)
