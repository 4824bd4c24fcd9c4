"""End to end in headless Chromium (Debian's package, driven by Playwright): a resident fills in the form for
their station, sends it and reads back the reference; a missing answer brings up the error summary; the edit
code on the receipt lets the resident change an answer.

The app is served by werkzeug on 127.0.0.1 from a thread, against a SQLite file the test thread shares.
"""

import os
import re
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from consultation.catalog.demo import DEMO_SLUG
from consultation.extensions import db
from consultation.intake.models import Response

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_or_fail() -> str:
    if CHROMIUM.exists():
        return str(CHROMIUM)
    if os.environ.get("SKIP_BROWSER_TESTS") == "1":
        pytest.skip("SKIP_BROWSER_TESTS=1 and /usr/bin/chromium is missing")
    pytest.fail(
        f"{CHROMIUM} is missing: run `bash scripts/system-packages.sh` (as root or with sudo) to install Debian's "
        "chromium package, or set SKIP_BROWSER_TESTS=1 to skip the browser tests.",
        pytrace=False,
    )


@pytest.fixture
def live_server(file_app):
    """The app on a free port of 127.0.0.1; yields (base URL, app)."""
    app = file_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="web-live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def browser_page():
    executable = chromium_or_fail()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1024, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()


def test_a_resident_fills_in_the_form_and_reads_back_a_reference(live_server, browser_page, tmp_path):
    base_url, app = live_server
    page = browser_page
    page.goto(f"{base_url}/consult/{DEMO_SLUG}")
    page.get_by_role("link", name="Dagenham, Rainham Road South").click()

    page.wait_for_url(re.compile(r"/stations/dagenham$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Dagenham, Rainham Road South"
    assert "closes at 17:30 on" in page.locator(".deadline").inner_text()
    if os.environ.get("WEB_SCREENSHOT_DIR"):
        page.screenshot(path=str(Path(os.environ["WEB_SCREENSHOT_DIR"]) / "station.png"), full_page=True)

    page.get_by_label("I live nearby").check()
    page.get_by_label("Strongly disagree").check()
    page.get_by_label("At a police station front counter").check()
    page.get_by_label("By phone (999 or 101)").check()
    page.get_by_label("What would the proposal mean for you").fill(
        "The counter is the only place my neighbours can report a crime in person."
    )
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("A resident").check()
    page.get_by_role("button", name="Send my response").click()

    page.wait_for_url(re.compile(r"/stations/dagenham/response-received$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Response received"
    reference = page.locator("#reference").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}", reference), reference
    if os.environ.get("WEB_SCREENSHOT_DIR"):
        page.screenshot(path=str(Path(os.environ["WEB_SCREENSHOT_DIR"]) / "confirmation.png"), full_page=True)

    with app.app_context():
        stored = db.session.scalar(select(Response).where(Response.reference == reference))
        assert stored is not None
        assert stored.station.slug == "dagenham"
        assert stored.channel == "online"
        answers = {
            answer.question.code: answer.text if answer.text is not None else answer.value for answer in stored.answers
        }
        assert answers["connection"] == "live_nearby"
        assert answers["agreement"] == "strongly_disagree"
        assert sorted(answers["reporting"]) == ["front_counter", "phone"]
        assert answers["impact"].startswith("The counter is the only place")
        assert stored.respondent.name == "Ada Lovelace"


def test_a_missing_answer_brings_up_the_error_summary_whose_link_reaches_the_field(live_server, browser_page):
    base_url, app = live_server
    page = browser_page
    page.goto(f"{base_url}/consult/{DEMO_SLUG}/stations/dagenham")
    page.get_by_label("I work or study nearby").check()
    page.get_by_label("What would the proposal mean for you").fill("Please keep it open.")
    page.get_by_role("button", name="Send my response").click()

    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    summary.wait_for()
    assert page.title().startswith("Error: ")
    if os.environ.get("WEB_SCREENSHOT_DIR"):
        page.screenshot(path=str(Path(os.environ["WEB_SCREENSHOT_DIR"]) / "errors.png"))
    # The summary takes focus when the page loads, so a screen reader announces it first (the page's script gives
    # it focus once loaded: waited for, up to 5 s, rather than read the instant the summary shows).
    page.wait_for_function("document.activeElement.classList.contains('error-summary')", timeout=5000)
    # What the resident entered is kept.
    assert page.get_by_label("I work or study nearby").is_checked()
    assert page.get_by_label("What would the proposal mean for you").input_value() == "Please keep it open."

    link = summary.get_by_role("link")
    assert link.count() == 1
    link.click()
    assert page.evaluate("document.activeElement.id") == "answer-agreement"
    assert page.evaluate("document.activeElement.closest('fieldset').querySelector('legend').innerText").startswith(
        "How far do you agree with the proposal"
    )
    error = page.locator("#answer-agreement-error")
    assert "Error:" in error.inner_text()
    with app.app_context():
        assert db.session.scalar(select(Response.id)) is None

    page.get_by_label("Agree", exact=True).check()
    page.get_by_role("button", name="Send my response").click()
    page.wait_for_url(re.compile(r"/response-received$"))
    assert page.locator("#reference").inner_text().strip()


def test_a_missing_chromium_fails_with_the_install_command_unless_skipping_is_asked_for(monkeypatch, tmp_path):
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("SKIP_BROWSER_TESTS", raising=False)
    with pytest.raises(pytest.fail.Exception, match="scripts/system-packages.sh"):
        chromium_or_fail()
    monkeypatch.setenv("SKIP_BROWSER_TESTS", "1")
    with pytest.raises(pytest.skip.Exception):
        chromium_or_fail()


def test_a_resident_reads_the_edit_code_and_changes_an_answer(live_server, browser_page):
    base_url, app = live_server
    page = browser_page
    page.goto(f"{base_url}/consult/{DEMO_SLUG}/stations/dagenham")
    page.get_by_label("I live nearby").check()
    page.get_by_label("Strongly disagree").check()
    page.get_by_role("button", name="Send my response").click()

    page.wait_for_url(re.compile(r"/response-received$"))
    reference = page.locator("#reference").inner_text().strip()
    edit_code = page.locator("#edit-code").inner_text().strip()
    assert edit_code and edit_code not in page.url
    page.get_by_role("link", name="Change or withdraw your response").click()

    page.get_by_label("Reference number").fill(reference)
    page.get_by_label("Edit code").fill(edit_code)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/change/response$"))
    assert page.get_by_label("Strongly disagree").is_checked()
    page.get_by_label("Agree", exact=True).check()
    page.get_by_role("button", name="Save my changes").click()

    page.wait_for_url(re.compile(r"/change/done$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Response changed"
    assert page.locator("#reference").inner_text().strip() == reference
    with app.app_context():
        stored = db.session.scalar(select(Response).where(Response.reference == reference))
        assert stored.version == 2
        assert {answer.question.code: answer.value for answer in stored.answers}["agreement"] == "agree"
