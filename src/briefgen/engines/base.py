"""The one interface every engine implements: `find(reading) -> Findings`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from ..passage import Passage

if TYPE_CHECKING:
    from ..findings import Findings
    from ..reading import Reading


__all__ = ["Engine", "Passage"]


class Engine(ABC):
    name: str = "engine"

    @abstractmethod
    def find(self, reading: Reading) -> Findings:
        """What the deal's sentences say, section by section, citing them by number."""
