"""briefgen: sales-to-customer-success handoff briefs, grounded in the deal's own sources."""

from . import _offline  # noqa: F401  (must run before chromadb or gradio are imported)
from .errors import (
    BriefgenError,
    ConfigError,
    EmbeddingError,
    EngineError,
    IngestError,
    NotFound,
    StoreError,
)
from .schema import Brief, Deal

__version__ = "0.1.0"

__all__ = [
    "Brief",
    "BriefgenError",
    "ConfigError",
    "Deal",
    "EmbeddingError",
    "EngineError",
    "IngestError",
    "NotFound",
    "StoreError",
    "__version__",
]
