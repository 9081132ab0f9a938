"""One process at a time on an embedded Chroma folder.

Chroma's embedded store keeps its index in files that two processes writing at once can leave
inconsistent. The first process to open the folder holds an exclusive lock on a file beside it
until it closes the store or exits (the kernel drops the lock with the process, however it
ends); a second process gets a clear error instead of a damaged index. Stores opened within one
process share the lock.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

from .errors import StoreError

_held: dict[Path, tuple[int, int]] = {}  # lock file -> (descriptor, how many stores hold it)
_guard = threading.Lock()


def acquire(folder: Path) -> Path:
    """Lock `folder` for this process; raises StoreError naming the holder when another has it."""
    path = (folder.parent / f"{folder.name}.lock").resolve()
    with _guard:
        if path in _held:
            fd, count = _held[path]
            _held[path] = (fd, count + 1)
            return path
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise StoreError(
                f"the vector store at {folder} is in use by another process (pid {holder}); "
                "stop it, or run a Chroma server and set BRIEFGEN_CHROMA_URL so that several "
                "processes can share the index"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        _held[path] = (fd, 1)
        return path


def release(path: Path) -> None:
    with _guard:
        if path not in _held:
            return
        fd, count = _held.pop(path)
        if count > 1:
            _held[path] = (fd, count - 1)
            return
        os.close(fd)  # closing the descriptor drops the lock
