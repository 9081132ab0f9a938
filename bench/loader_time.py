"""7. Loaders on adversarial input: the worst time per loader at 50 KB and 100 KB (a ratio near 2
is linear, near 4 quadratic); libxml2 against CPython's html.parser on the same malformed markup;
hashing a source once against once per chunk.

python bench/loader_time.py
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

from common import machine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "security"))

from test_loader_time import ADVERSARIAL, KINDS, _file

from briefgen.errors import IngestError
from briefgen.ingest import SourceDocument, load_file
from briefgen.ingest.text import html_to_text
from briefgen.ingestion import split_text


class _StdlibText(HTMLParser):
    """The converter briefgen used before, for comparison: text of every data event."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def stdlib_text(markup: str) -> str:
    parser = _StdlibText()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)


def timed(fn: object, *args: object) -> float:
    started = time.perf_counter()
    with contextlib.suppress(IngestError):
        fn(*args)  # type: ignore[operator]
    return time.perf_counter() - started


def scaled(text: str, size: int) -> str:
    return (text * (size // max(1, len(text)) + 1))[:size]


def main() -> None:
    print(machine())
    print("\nworst loader time on adversarial input (s), and the 100 KB / 50 KB ratio")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for kind in KINDS:
            name, data = _file(kind, "Warm-up. On Mon, Nov 2, 2026 at 9:00 AM Ann <a@b.com> wrote:\n> hi\n")
            (folder / name).write_bytes(data)
            timed(load_file, folder / name, 50 << 20)
            worst: dict[int, tuple[float, str]] = {}
            for size in (50_000, 100_000):
                for label, text in ADVERSARIAL.items():
                    name, data = _file(kind, scaled(text, size))
                    (folder / name).write_bytes(data)
                    spent = timed(load_file, folder / name, 50 << 20)
                    if spent > worst.get(size, (0.0, ""))[0]:
                        worst[size] = (spent, label)
            ratio = worst[100_000][0] / max(worst[50_000][0], 1e-6)
            print(
                f"  {kind:<11} 50 KB {worst[50_000][0]:6.2f}  100 KB {worst[100_000][0]:6.2f} "
                f"({worst[100_000][1]})  ratio {ratio:4.1f}"
            )

    print("\nHTML to text, same malformed markup (s): html.parser vs libxml2")
    for label in ("open tags", "comments", "processing instructions"):
        for size in (10_000, 20_000):
            markup = scaled(ADVERSARIAL[label], size)
            old, new = timed(stdlib_text, markup), timed(html_to_text, markup)
            print(
                f"  {label:<24} {size // 1000:>3} KB  html.parser {old:7.2f}  libxml2 {new:6.3f}  x{old / max(new, 1e-6):,.0f}"
            )

    print("\ncontent hash for a one-line file, once per chunk vs once per source (s)")
    for size in (1_000_000, 2_000_000):
        text = scaled("The customer wants SSO for every site. ", size)
        doc = SourceDocument("note", "t", text, text)
        chunks = len(split_text(text, 1000, 150))
        started = time.perf_counter()
        for _ in range(chunks):
            _ = doc.content_hash
        per_chunk = time.perf_counter() - started
        started = time.perf_counter()
        _ = doc.content_hash
        once = time.perf_counter() - started
        print(
            f"  {size // 1_000_000} MB, {chunks} chunks: per chunk {per_chunk:6.2f}  once {once:.4f}  x{per_chunk / once:,.0f}"
        )


if __name__ == "__main__":
    main()
