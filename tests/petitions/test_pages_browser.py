"""The petition pages in headless Chromium: a resident signs, opens the emailed link, presses the button and
sees the thank-you page; every page passes axe-core's WCAG 2.2 A and AA rules. Set WEB_SCREENSHOT_DIR to keep
screenshots of each page."""

import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import func, select

from consultation.extensions import db
from consultation.petitions.demo import seed_demo_petition
from consultation.petitions.models import Signature
from tests.petitions.conftest import tokens_sent

pytestmark = pytest.mark.browser
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}


def assert_accessible(page, name: str) -> None:
    results = Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"
    if os.environ.get("WEB_SCREENSHOT_DIR"):
        page.screenshot(path=str(Path(os.environ["WEB_SCREENSHOT_DIR"]) / f"petition-{name}.png"), full_page=True)


@pytest.fixture
def demo_petition(live_server, tmp_path):
    base_url, app = live_server
    app.config["MAIL_OUTBOX"] = str(tmp_path / "outbox")
    with app.app_context():
        petition_id = seed_demo_petition(db.session, "public-access-demo").id
        db.session.remove()
    return base_url, app, petition_id, tmp_path / "outbox"


def test_a_resident_signs_confirms_and_every_page_passes_axe(demo_petition, browser_page):
    base_url, app, petition_id, outbox = demo_petition
    page = browser_page
    page.goto(f"{base_url}/petitions/")
    assert_accessible(page, "index")
    page.get_by_role("link", name="Keep Dagenham police station open").click()
    page.wait_for_url(re.compile(rf"/petitions/{petition_id}$"))
    before = int(page.locator("#petition-total").inner_text().replace(",", ""))
    assert before > 500  # the demo's generated signatures and paper packs
    assert_accessible(page, "petition")

    page.get_by_role("button", name="Sign this petition").click()
    page.get_by_role("alert").filter(has_text="There is a problem").wait_for()
    assert page.title().startswith("Error: ")
    assert_accessible(page, "errors")

    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Email address").fill("grace@example.org")
    page.get_by_label("Postcode").fill("rm10 7tu")
    page.get_by_label("I accept this privacy statement").check()
    page.get_by_role("button", name="Sign this petition").click()
    page.wait_for_url(re.compile(r"/check-your-email$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Check your email"
    assert_accessible(page, "check-email")

    [token] = tokens_sent(outbox)
    page.goto(f"{base_url}/petitions/{petition_id}/confirm/{token}")
    assert page.get_by_role("heading", level=1).inner_text() == "Confirm your signature"
    assert_accessible(page, "confirm")
    with app.app_context():
        assert db.session.scalar(select(Signature.confirmed_at).where(Signature.email == "grace@example.org")) is None
    page.get_by_role("button", name="Confirm my signature").click()
    page.wait_for_url(re.compile(r"/thank-you$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Signature confirmed"
    assert int(page.locator("#petition-total").inner_text().replace(",", "")) == before + 1
    assert_accessible(page, "thank-you")
    with app.app_context():
        confirmed = select(func.count(Signature.id)).where(Signature.email == "grace@example.org")
        assert db.session.scalar(confirmed.where(Signature.confirmed_at.is_not(None))) == 1


def test_a_link_that_is_not_valid_gets_a_page_that_passes_axe(demo_petition, browser_page):
    base_url, app, petition_id, _ = demo_petition
    page = browser_page
    page.goto(f"{base_url}/petitions/{petition_id}/confirm/not-a-real-token")
    assert page.get_by_role("heading", level=1).inner_text() == "This link is not valid"
    assert_accessible(page, "unknown-link")


def test_a_station_page_links_its_petitions_and_passes_axe(demo_petition, browser_page):
    base_url, _, petition_id, _ = demo_petition
    page = browser_page
    page.goto(f"{base_url}/consult/public-access-demo/stations/dagenham")
    assert page.get_by_role("heading", name="Petitions about this station").is_visible()
    assert_accessible(page, "station-with-petition")
    page.get_by_role("link", name="Keep Dagenham police station open").click()
    page.wait_for_url(re.compile(rf"/petitions/{petition_id}$"))
