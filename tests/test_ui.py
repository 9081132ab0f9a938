"""The web form: its functions directly, through gradio_client against a running server, and
in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from briefgen.errors import ConfigError
from briefgen.schema import Brief
from briefgen.store import Store
from briefgen.ui import deal_choices, download_files, generate, ingest_uploads, save_edit, set_status

from .conftest import EXAMPLES, ROOT
from .llm_server import free_port

ACME = sorted(str(p) for p in (EXAMPLES / "acme-logistics").iterdir() if p.name != "deal.json")


def as_uploads(paths: list[str]) -> list[str]:
    """Copies in Gradio's upload folder, where the form's uploads land."""
    from gradio.utils import get_upload_folder

    folder = Path(tempfile.mkdtemp(dir=get_upload_folder()))
    out = []
    for p in paths:
        shutil.copy(p, folder / Path(p).name)
        out.append(str(folder / Path(p).name))
    return out


def test_form_functions(store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "broken.eml"
    bad.write_bytes(b"")
    with pytest.raises(ConfigError, match="not uploaded through the form"):
        ingest_uploads(store, "acme-web", [str(bad)])
    report = ingest_uploads(
        store, "acme-web", as_uploads([*ACME, str(bad)]), account="Acme Logistics", amount="186,000"
    )
    # 3 files; the handoff email quotes an earlier message, read as a source of its own
    assert "4 added" in report and "skipped **broken.eml**: file is empty" in report
    assert store.records.get_deal("acme-web").amount == 186000.0
    assert ("acme-web — Acme Logistics (4 sources)", "acme-web") in deal_choices(store)
    with pytest.raises(ConfigError, match="not a number"):
        ingest_uploads(store, "acme-web", [], amount="lots")
    view = generate(store, "acme-web", "extractive")
    assert view["brief_id"] and "Handoff risk: **HIGH**" in view["overview"]
    assert view["stakeholders"][0][:2] == ["Robert Chen", "VP Operations"]
    assert "<mark>" in view["evidence"] and "<details>" in view["evidence"]
    edited = json.loads(view["json"])
    edited["goals"] = edited["goals"][:1]
    second = save_edit(store, view["brief_id"], json.dumps(edited))
    assert second["brief_id"] != view["brief_id"]
    assert len(store.records.briefs("acme-web")) == 2
    with pytest.raises(ConfigError, match="not valid"):
        save_edit(store, view["brief_id"], '{"deal_id": "acme-web"')
    with pytest.raises(ConfigError, match="say why"):
        set_status(store, second["brief_id"], accept=False, reason=" ")
    assert set_status(store, second["brief_id"], False, "Missing the SSO owner").endswith(
        "returned: Missing the SSO owner"
    )
    assert set_status(store, view["brief_id"], True, user="maria") == "Version 1 accepted by maria."
    assert store.records.get_brief(view["brief_id"]).reviewed_by == "maria"
    json_path, md_path = download_files(store, view["brief_id"])
    assert Brief.model_validate_json(Path(json_path).read_text()).deal_id == "acme-web"
    assert Path(md_path).read_text().startswith("# Handoff brief")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("ui-home")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFGEN_")}
    env.update(BRIEFGEN_HOME=str(home), BRIEFGEN_API_KEYS="ana:k", BRIEFGEN_ENGINE="extractive")
    subprocess.run(
        [sys.executable, "-m", "briefgen.cli", "ingest", str(EXAMPLES / "helix-health")],
        env=env,
        check=True,
        capture_output=True,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "briefgen.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(home / "server.log").open("wb"),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        proc.kill()
        raise RuntimeError((home / "server.log").read_text()[-2000:])
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_gradio_client_against_the_server(served: str) -> None:
    from gradio_client import Client

    signed_in = httpx.post(f"{served}/login", data={"key": "k", "next": "/ui/"})
    assert signed_in.status_code == 303
    cookie = signed_in.headers["set-cookie"].split(";")[0]
    client = Client(f"{served}/ui/", verbose=False, headers={"Cookie": cookie})
    # session state is not part of the API: overview, people, table, evidence, json, md, two files
    overview, _, _table, evidence, brief_json, markdown, json_file, _md_file = client.predict(
        "helix-health", "extractive", api_name="/on_generate"
    )
    assert "Helix Health Partners" in overview and "<mark>" in evidence
    assert markdown.startswith("# Handoff brief")
    assert Brief.model_validate_json(Path(json_file).read_text()).deal_id == "helix-health"
    brief = Brief.model_validate_json(brief_json)
    assert brief.changes and brief.changes[0].current in ("$71,400", "24 months")


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.slow
@pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make test installs it)"
)
def test_in_a_real_browser(served: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = ROOT / "out"
    shots.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            tempfile.mkdtemp(prefix="briefgen-chromium-"),
            executable_path=CHROMIUM,
            headless=True,
            accept_downloads=True,
            viewport={"width": 1400, "height": 1000},
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        outside: list[str] = []
        page = browser.new_page()
        page.on(
            "request",
            lambda r: (
                outside.append(r.url)
                if "127.0.0.1" not in r.url and not r.url.startswith(("data:", "blob:"))
                else None
            ),
        )
        page.goto(f"{served}/ui/")
        expect(page.locator("#sign-in")).to_be_visible()  # the form is behind sign-in
        page.locator("#key").fill("k")
        page.locator("#sign-in").click()
        page.locator("#create-deal").click()
        page.locator("#new-deal-id input, #new-deal-id textarea").first.fill("acme-browser")
        page.locator("#new-account input, #new-account textarea").first.fill("Acme Logistics")
        page.locator("#upload input[type=file]").set_input_files(ACME)
        page.wait_for_timeout(1500)
        page.locator("#ingest-btn").click()
        expect(page.locator("#ingest-report")).to_contain_text("4 added", timeout=60_000)
        page.locator("#engine input").click()
        page.get_by_role("option", name="extractive", exact=True).click()
        page.locator("#generate-btn").click()
        expect(page.locator("#stakeholders")).to_contain_text("Robert Chen", timeout=60_000)
        expect(page.locator("#overview")).to_contain_text("Handoff risk")
        page.screenshot(path=str(shots / "ui-brief.png"), full_page=True)
        page.get_by_role("tab", name="Brief and evidence").click()
        first = page.locator("#evidence details").first
        first.locator("summary").click()
        expect(first.locator("mark")).to_be_visible()
        page.screenshot(path=str(shots / "ui-evidence.png"), full_page=True)
        link = page.locator("#json-file a").first
        expect(link).to_be_visible(timeout=30_000)
        with page.expect_download() as info:
            link.click()
        downloaded = Path(info.value.path())
        brief = Brief.model_validate_json(downloaded.read_text())
        assert brief.deal_id == "acme-browser" and brief.stakeholders
        browser.close()
    assert outside == []  # no CDN, no fonts, no analytics
