"""The web form: its functions directly, through gradio_client against a running server, and
in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from briefgen.errors import ConfigError, Conflict
from briefgen.ingestion import ingest_paths
from briefgen.jobs import JobQueue
from briefgen.schema import Brief
from briefgen.store import Store
from briefgen.ui import (
    deal_choices,
    download_files,
    edit_item,
    generate,
    job_lines,
    open_version,
    save_draft,
    set_status,
    uploaded_file,
)
from briefgen.uploads import queue_upload
from briefgen.worker import UPLOAD_KINDS, Worker

from .conftest import EXAMPLES, ROOT
from .served import Served

ACME = sorted(str(p) for p in (EXAMPLES / "acme-logistics").iterdir() if p.name != "deal.json")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or ROOT / "out" / "screenshots")
FAKE_QUOTE = "Acme agreed to pay double at renewal with no notice"


def as_uploads(paths: list[str]) -> list[str]:
    """Copies in Gradio's upload folder, where the form's uploads land."""
    from gradio.utils import get_upload_folder

    folder = Path(tempfile.mkdtemp(dir=get_upload_folder()))
    out = []
    for p in paths:
        shutil.copy(p, folder / Path(p).name)
        out.append(str(folder / Path(p).name))
    return out


@pytest.mark.slow
def test_form_functions(store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "broken.eml"
    bad.write_bytes(b"")
    with pytest.raises(ConfigError, match="not uploaded through the form"):
        uploaded_file(str(bad))
    queue = JobQueue(store.records)
    paths = [uploaded_file(p) for p in as_uploads([*ACME, str(bad)])]
    job = queue_upload(
        store, queue, {"deal_id": "acme-web", "account": "Acme Logistics", "amount": "186,000"}, paths, "ana"
    )
    assert job is not None
    assert "waiting for a worker" in job_lines(queue, [job.id])[0]
    Worker(store, queue, kinds=UPLOAD_KINDS).run_once()
    lines, running = job_lines(queue, [job.id])
    # 3 files; the handoff email quotes an earlier message, read as a source of its own
    assert not running and "4 added" in lines and "skipped **broken.eml**: file is empty" in lines
    assert store.records.get_deal("acme-web").amount == 186000.0
    assert ("acme-web — Acme Logistics", "acme-web") in deal_choices(store)
    empty = open_version(store, "acme-web")
    assert empty["current"] is None and "No brief yet" in empty["overview"]
    view = generate(store, "acme-web", "extractive", user="ana")
    assert view["version"] == 1 and "Handoff risk: **HIGH**" in view["overview"]
    assert "Robert Chen" in view["stakeholders"] and "VP Operations" in view["stakeholders"]
    assert "<mark>" in view["evidence"] and "sponsor hand down" in view["evidence"]  # factors cite too
    assert view["link"] == "?deal=acme-web&version=1"
    message, accepted = set_status(store, view["current"], True, user="maria")
    assert message.startswith("Version 1 accepted by maria on ")
    with pytest.raises(Conflict, match="accepted by maria"):
        set_status(store, view["current"], False, "stale screen", user="omar")  # opened before
    brief = Brief.model_validate_json(accepted["draft"])
    draft = edit_item(
        store, accepted["draft"], "goals", 0, {"text": "Halve exception time"}, [accepted["sentences"][0][1]]
    )
    with pytest.raises(ConfigError, match="not in the deal's sources"):
        edit_item(store, draft, "risks", None, {"text": "x"}, [f"{brief.sources[0].id}|{FAKE_QUOTE}"])
    second = save_draft(store, accepted["current"], draft, user="omar")
    assert second["version"] == 2 and "Main goal: Halve exception time" in second["overview"]
    # the accepted version still opens by default until the new one is accepted
    assert open_version(store, "acme-web")["version"] == 1
    set_status(store, second["current"], True, user="maria")
    assert open_version(store, "acme-web")["version"] == 2
    json_path, md_path = download_files(store, second["current"]["brief_id"])
    downloaded = Brief.model_validate_json(Path(json_path).read_text())
    assert downloaded.review is not None and downloaded.review.reviewed_by == "maria"
    assert "**Review:** version 2, accepted by maria" in Path(md_path).read_text()


# --- against a server ---------------------------------------------------------------------------


@contextmanager
def running_server(home: Path, **env_extra: str) -> Iterator[str]:
    env = {"BRIEFGEN_API_KEYS": "ana:k,omar:k2", "BRIEFGEN_ENGINE": "extractive", **env_extra}
    server = Served(home, env, ready="/login").start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server whose store holds acme-logistics with version 1 accepted by ana."""
    from briefgen.config import Settings
    from briefgen.generate import write_brief
    from briefgen.versions import review

    home = tmp_path_factory.mktemp("ui-home")
    store = Store(Settings.from_env(home))
    ingest_paths(store, [EXAMPLES / "acme-logistics", EXAMPLES / "helix-health"])
    _, record = write_brief(store, "acme-logistics", "extractive", created_by="ana")
    assert record is not None
    review(store.records, record.id, True, "", "ana", store.records.brief_info(record.id).seen)
    store.close()
    with running_server(home) as url:
        yield url


def cookie_for(url: str, key: str) -> str:
    signed_in = httpx.post(f"{url}/login", data={"key": key, "next": "/ui/"})
    assert signed_in.status_code == 303
    return str(signed_in.headers["set-cookie"].split(";")[0])


@pytest.mark.slow
def test_gradio_client_against_the_server(served: str) -> None:
    from gradio_client import Client

    client = Client(f"{served}/ui/", verbose=False, headers={"Cookie": cookie_for(served, "k2")})
    out = client.predict("helix-health", "extractive", api_name="/on_generate")
    # deals, status, then the opened version: versions, picker, link, url, overview, people, table,
    # evidence, json, markdown, two files, ...
    deals, status, versions, _, link, _, overview, _, _, evidence, brief_json, markdown, json_file = out[:13]
    assert "helix-health" in deals and status == "Version 1 written."
    assert "Helix Health Partners" in overview and "written by omar" in overview and "<mark>" in evidence
    assert "?deal=helix-health&amp;version=1" in versions and "version=1" in link
    assert markdown.startswith("# Handoff brief") and "**Review:** version 1, draft" in markdown
    assert Brief.model_validate_json(Path(json_file).read_text()).deal_id == "helix-health"
    brief = Brief.model_validate_json(brief_json)
    assert brief.changes and brief.changes[0].current in ("$71,400", "24 months")
    # evidence is picked, never typed: a forged value is refused even when sent past the form
    client.predict("helix-health", api_name="/open_deal")
    forged = f"{brief.sources[0].id}|{FAKE_QUOTE}"
    fields = ["Made-up risk", *[None] * 14, False]
    with pytest.raises(Exception, match=r"not in the deal's sources|not in the list of choices"):
        client.predict("risks", None, [forged], *fields, api_name="/add_item")


def _browser(p: Any) -> Any:
    return p.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    )


def _session(browser: Any, url: str, key: str, path: str = "/ui/") -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{url}{path}")
    page.locator("#key").fill(key)
    page.locator("#sign-in").click()
    return page


def _pick(page: Any, field: str, option: str) -> None:
    page.locator(f"#{field} input").click()
    page.get_by_role("option", name=option, exact=True).click()


needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make test installs it)"
)


@pytest.mark.slow
@needs_chromium
def test_review_in_a_real_browser(served: str) -> None:
    """Sign in, open the accepted version, edit a goal, add a risk with picked evidence, save,
    accept, reload by link: the accepted version shows with reviewer and time. A made-up
    quote cannot be saved."""
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []
    with sync_playwright() as p:
        browser = _browser(p)
        page = _session(browser, served, "k2")  # omar
        page.on(
            "request",
            lambda r: (
                outside.append(r.url)
                if "127.0.0.1" not in r.url and not r.url.startswith(("data:", "blob:"))
                else None
            ),
        )
        expect(page.locator("#whoami")).to_contain_text("omar")
        expect(page.locator("#deals")).to_contain_text("v1 accepted (ana)", timeout=30_000)
        page.locator("#deal-search input, #deal-search textarea").first.fill("helix")
        expect(page.locator("#deals")).not_to_contain_text("acme-logistics")
        page.locator("#deal-search input, #deal-search textarea").first.fill("")
        page.locator("#deals a", has_text="acme-logistics").click()
        # the accepted version opens, named on the review buttons
        expect(page.locator("#overview")).to_contain_text("version 1 · accepted by ana", timeout=30_000)
        expect(page.locator("#accept-btn")).to_have_text("Accept version 1")
        page.screenshot(path=str(SHOTS / "deal-and-versions.png"), full_page=True)
        page.get_by_role("tab", name="Brief and evidence").click()
        first = page.locator("#evidence details").first
        first.locator("summary").click()
        expect(first.locator("mark")).to_be_visible()
        page.screenshot(path=str(SHOTS / "evidence.png"), full_page=True)

        page.get_by_role("tab", name="Edit items").click()
        _pick(page, "edit-section", "Goals")
        page.locator("#edit-item input").click()
        page.get_by_role("option").first.click()
        text = page.locator("#edit-text textarea")
        expect(text).not_to_have_value("", timeout=10_000)
        text.fill("Halve the time dispatchers spend on exceptions before peak season")
        page.locator("#update-item-btn").click()
        expect(page.locator("#draft")).to_contain_text("Unsaved changes", timeout=10_000)

        _pick(page, "edit-section", "Risks")
        expect(page.locator("#edit-severity")).to_be_visible()
        page.locator("#edit-text textarea").fill(
            "SSO must pass the customer's Okta security review before go-live"
        )
        _pick(page, "edit-severity", "high")
        _pick(page, "edit-category", "security")
        # a made-up quote: typed into the picker, it is not a choice and is not taken
        picker = page.locator("#edit-evidence input")
        picker.click()
        picker.fill(FAKE_QUOTE)
        expect(page.get_by_role("option")).to_have_count(0)
        picker.press("Enter")
        page.keyboard.press("Escape")
        page.locator("#add-item-btn").click()
        expect(page.locator(".toast-body, [data-testid='toast-body']").first).to_contain_text(
            "pick at least one sentence", timeout=10_000
        )
        # picked from the deal's own sentences
        picker.click()
        picker.fill("Okta")
        page.get_by_role("option").first.click()
        page.keyboard.press("Escape")
        page.locator("#add-item-btn").click()
        expect(page.locator("#draft")).to_contain_text("SSO must pass the customer's Okta", timeout=10_000)
        page.screenshot(path=str(SHOTS / "edit-items.png"), full_page=True)
        page.locator("#save-btn").click()
        expect(page.locator("#status")).to_contain_text("Saved as version 2", timeout=60_000)
        expect(page.locator("#overview")).to_contain_text("version 2 · draft")
        expect(page.locator("#overview")).to_contain_text("Main goal: Halve the time dispatchers")
        expect(page.locator("#accept-btn")).to_have_text("Accept version 2")
        page.locator("#accept-btn").click()
        expect(page.locator("#status")).to_contain_text("Version 2 accepted by omar on ", timeout=30_000)
        link = page.url
        assert link.endswith("/ui/?deal=acme-logistics&version=2")

        # reload by link, in a fresh session of another user
        other = _session(browser, served, "k", "/ui/?deal=acme-logistics&version=2")
        overview = other.locator("#overview")
        expect(overview).to_contain_text("version 2 · accepted by omar on ", timeout=30_000)
        assert re.search(r"accepted by omar on \d{4}-\d\d-\d\d \d\d:\d\d UTC", overview.inner_text())
        expect(other.locator("#versions")).to_contain_text("omar")
        other.get_by_role("tab", name="Brief and evidence").click()
        expect(other.locator("#evidence")).to_contain_text("SSO must pass the customer's Okta")
        expect(other.locator("#evidence")).not_to_contain_text(FAKE_QUOTE)
        other.screenshot(path=str(SHOTS / "accepted-by-link.png"), full_page=True)
        md_link = other.locator("#md-file a").first
        expect(md_link).to_be_visible(timeout=30_000)
        with other.expect_download() as info:
            md_link.click()
        assert "**Review:** version 2, accepted by omar" in Path(info.value.path()).read_text()
        browser.close()
    assert outside == []  # no CDN, no fonts, no analytics
    # the API says the same
    listed = httpx.get(
        f"{served}/v1/deals/acme-logistics/briefs", headers={"Authorization": "Bearer k"}
    ).json()
    v2 = listed["briefs"][-1]
    assert (v2["version"], v2["status"], v2["reviewed_by"], v2["created_by"]) == (
        2,
        "accepted",
        "omar",
        "omar",
    )
    full = httpx.get(f"{served}/v1/briefs/{v2['id']}", headers={"Authorization": "Bearer k"}).json()
    assert full["brief"]["review"]["reviewed_at"] == v2["reviewed_at"]


def _big_notes(path: Path, size: int) -> None:
    """A long call-notes file of distinct sentences (weekly syncs), `size` bytes or a little more."""
    rows = []
    total = n = 0
    while total < size:
        row = (
            f"Week {n}: the team reviewed depot {n % 97} and found {n % 13} delayed shipments; "
            f"Priya will follow up with region {n % 14} about exception {n} before Friday.\n"
        )
        rows.append(row)
        total += len(row)
        n += 1
    path.write_text("".join(rows))


@pytest.mark.slow
@needs_chromium
def test_a_large_upload_does_not_block_a_small_one(tmp_path: Path) -> None:
    """Two people upload at once: a 20 MB file and three call notes. The three are ingested
    while the large one is still running, and the large one shows its progress."""
    from playwright.sync_api import expect, sync_playwright

    big = tmp_path / "weekly-syncs.txt"
    _big_notes(big, 20 * 1024 * 1024)
    over = tmp_path / "archive.txt"
    over.write_bytes(b"x" * (24 * 1024 * 1024 + 1))
    home = tmp_path / "home"
    home.mkdir()
    with running_server(home) as url, sync_playwright() as p:
        browser = _browser(p)
        large = _session(browser, url, "k")
        small = _session(browser, url, "k2")
        for page, deal_id in ((large, "big-deal"), (small, "acme-two")):
            expect(page.locator("#whoami")).to_contain_text("Signed in", timeout=30_000)
            page.locator("#create-deal").click()
            page.locator("#new-deal-id input, #new-deal-id textarea").first.fill(deal_id)
        # over the limit: refused in the page before any upload, with the limit named
        expect(large.locator("#upload")).to_contain_text("up to 24 MB")
        posted: list[str] = []
        large.on(
            "request", lambda r: posted.append(r.url) if r.method == "POST" and "/upload?" in r.url else None
        )
        large.locator("#upload input[type=file]").set_input_files(str(over))
        refused = large.get_by_text("exceed the maximum allowed size of 24")
        expect(refused).to_be_visible(timeout=10_000)
        refused.scroll_into_view_if_needed()
        large.screenshot(path=str(SHOTS / "upload-refused.png"), full_page=True)
        assert posted == []  # refused in the page: nothing was sent
        # both uploads at once
        large.locator("#upload input[type=file]").set_input_files(str(big))
        small.locator("#upload input[type=file]").set_input_files(ACME)
        # Under load the file row has shown "Error" beside a finished upload, its name split as
        # "weekly-syncs .txt" (cause not known; not the upload-progress race Gradio fixed before
        # the version used here): the row, not the progress display, says the file arrived.
        expect(large.locator("#upload")).to_contain_text(re.compile(r"weekly-syncs\s*\.txt"), timeout=120_000)
        expect(small.locator("#upload")).to_contain_text("discovery-call", timeout=60_000)
        large.locator("#ingest-btn").click()
        expect(large.locator("#ingest-report")).to_contain_text("Queued as job", timeout=60_000)
        small.locator("#ingest-btn").click()
        expect(small.locator("#upload-status")).to_contain_text("done", timeout=120_000)
        expect(small.locator("#upload-status")).to_contain_text("4 added")
        # the small one is done; the large one is still running and says how far it is
        status = large.locator("#upload-status")
        assert "done" not in status.inner_text()
        counted = re.compile(r"[\d,]+ of [\d,]+ (passages embedded|sentences read)")
        expect(status).to_contain_text(counted, timeout=120_000)
        first = _progress_count(status.inner_text())
        later = first
        for _ in range(240):  # the count moves on while the file is still being read
            large.wait_for_timeout(500)
            later = _progress_count(status.inner_text())
            if later is not None and first is not None and later > first:
                break
        assert first is not None and later is not None and later > first, status.inner_text()
        assert "done" not in status.inner_text()
        status.scroll_into_view_if_needed()
        large.screenshot(path=str(SHOTS / "upload-progress.png"), full_page=True)
        # the three files are a deal the other user can open at once
        small.reload()
        expect(small.locator("#deals")).to_contain_text("acme-two", timeout=30_000)
        browser.close()


def _progress_count(text: str) -> int | None:
    m = re.search(r"([\d,]+) of [\d,]+ (?:passages embedded|sentences read)", text)
    return int(m.group(1).replace(",", "")) if m else None
