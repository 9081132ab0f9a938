"""Loading sources of every supported format into SourceDocuments, grouped by deal."""

from .discover import DEAL_FILE, DealFiles, check_deal_id, load_file, plan, read_deal_file
from .document import SourceDocument, source_id_for
from .loaders import LOADERS

__all__ = [
    "DEAL_FILE",
    "LOADERS",
    "DealFiles",
    "SourceDocument",
    "check_deal_id",
    "load_file",
    "plan",
    "read_deal_file",
    "source_id_for",
]
