"""The console in headless Chromium (Debian's package, driven by Playwright).

A reviewer signs in through the link emailed to the outbox, filters the explorer by borough and a word, codes
three responses from the queue, and downloads the filtered CSV, whose rows match the explorer's count; an
organiser sees only their borough. axe-core checks every console page against WCAG 2.2 A and AA: the list
below names them all, and a console page missing from it fails the test. Set WEB_SCREENSHOT_DIR to keep
screenshots of each page."""

import csv
import io
import os
import re
import threading
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import func, select
from werkzeug.serving import make_server

from consultation.accounts.service import create_user
from consultation.analysis.demo import seed_demo_codebooks
from consultation.analysis.models import ResponseAnalysis
from consultation.analysis.service import analyse
from consultation.catalog.demo import DEMO_SLUG
from consultation.catalog.models import Consultation
from consultation.extensions import db
from tests.analysis.analysis_support import make_response
from tests.console.test_sign_in import LINK
from tests.petitions.conftest import messages

pytestmark = pytest.mark.browser
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}
# Every console page a person opens (GET endpoints that answer with HTML). The journey below visits each one.
PAGES = {
    "console.sign_in",
    "console.check_email",
    "console.use_link",
    "console.home",
    "console.overview",
    "console.explorer",
    "console.response_page",
    "console.queue_done",
    "console.imports",
    "console.tokens",
    "console.users",
    "console.manage_consultations",
    "console.new_consultation",
    "console.edit_consultation",
}
NOT_PAGES = {"console.export", "console.static"}  # a download and the stylesheet
BARKING = [
    "The counter at Dagenham is where my mother reports things; closing it leaves her nowhere.",
    "Keep the counter open, the phone line never answers.",
    "A front counter matters for victims who cannot go online.",
    "I support closing the counter if officers patrol more.",
    "Nobody uses the building any more, sell it.",
    "Travel to Romford takes an hour by bus.",
]
REDBRIDGE = ["Ilford counter should stay, it is busy.", "Woodford needs officers on the street."]


def test_every_console_page_is_in_the_list(app):
    endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("console.") and "GET" in rule.methods
    }
    assert endpoints == PAGES | NOT_PAGES


class Visited:
    def __init__(self, page):
        self.page = page
        self.seen: set[str] = set()

    def check(self, endpoint: str) -> None:
        self.page.wait_for_load_state("load")  # after a click, the page and its stylesheets have arrived
        results = Axe().run(self.page, options=WCAG_AA)
        assert results.violations_count == 0, f"{endpoint}: {results.generate_report()}"
        self.seen.add(endpoint)
        if os.environ.get("WEB_SCREENSHOT_DIR"):
            path = Path(os.environ["WEB_SCREENSHOT_DIR"]) / f"console-{endpoint.split('.')[1]}.png"
            self.page.screenshot(path=str(path), full_page=True)


@pytest.fixture
def console_server(file_app, tmp_path):
    """The app with CSRF on, the demo consultation with responses in two boroughs, a reviewer and an organiser."""
    outbox = tmp_path / "outbox"
    app = file_app(WTF_CSRF_ENABLED=True, MAIL_OUTBOX=str(outbox))
    with app.app_context():
        seed_demo_codebooks(db.session)
        consultation = db.session.scalar(select(Consultation).where(Consultation.slug == DEMO_SLUG))
        for text in BARKING:
            make_response(db.session, consultation, text, station_slug="dagenham")
        for text in REDBRIDGE:
            make_response(db.session, consultation, text, station_slug="ilford")
        analyse(db.session, consultation)
        create_user(db.session, None, name="Rae Reviewer", role="reviewer", email="rae@example.org")
        create_user(
            db.session,
            None,
            name="Olu Organiser",
            role="organiser",
            borough_codes=["E09000002"],
            email="olu@example.org",
        )
        create_user(db.session, None, name="Ada Admin", role="admin", email="ada@example.org")
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="console-live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app, outbox
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def sign_in(page, base_url: str, outbox: Path, email: str, visited: Visited | None = None) -> None:
    page.goto(f"{base_url}/staff/")
    page.wait_for_url(re.compile(r"/staff/sign-in"))
    if visited:
        visited.check("console.sign_in")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.wait_for_url(re.compile(r"/check-your-email$"))
    if visited:
        visited.check("console.check_email")
    sent = [m for m in messages(outbox) if m["To"] == email][-1]
    path = LINK.search(sent.get_body(("plain",)).get_content()).group(0).removeprefix("http://localhost")
    page.goto(base_url + path)
    if visited:
        visited.check("console.use_link")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/staff/$"))


def test_a_reviewer_filters_codes_from_the_queue_and_downloads_what_they_see(console_server, browser_page):
    base_url, app, outbox = console_server
    page = browser_page
    page.set_default_timeout(60_000)  # the first suggestion from the queue fits the analysis models
    visited = Visited(page)
    sign_in(page, base_url, outbox, "rae@example.org", visited)
    visited.check("console.home")

    page.get_by_role("link", name=re.compile("police front counters")).first.click()
    page.wait_for_url(re.compile(rf"/staff/consultations/{DEMO_SLUG}$"))
    visited.check("console.overview")

    page.get_by_role("link", name="Explore the responses").click()
    page.get_by_label("Borough").select_option(label="Barking and Dagenham")
    page.get_by_label("Words in the text").fill("counter")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"words=counter"))
    visited.check("console.explorer")
    count = int(page.locator("#result-count").inner_text().split()[0])
    assert count == sum("counter" in text.lower() for text in BARKING) == 4

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) == count
    assert {row["borough_code"] for row in rows} == {"E09000002"}

    page.goto(f"{base_url}/staff/consultations/{DEMO_SLUG}")
    page.get_by_role("button", name="Code the next response").click()
    for _ in range(3):
        page.wait_for_url(re.compile(r"/responses/\d+$"))
        assert page.get_by_role("heading", name="Why this response is next").is_visible()
        if "console.response_page" not in visited.seen:
            visited.check("console.response_page")
        page.get_by_label("Neutral").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Save and code next").click()
    with app.app_context():
        coded = db.session.scalar(select(func.count()).where(ResponseAnalysis.coded_by_user_id.is_not(None)))
        db.session.remove()
    assert coded == 3

    page.goto(f"{base_url}/staff/consultations/{DEMO_SLUG}/imports")
    visited.check("console.imports")
    page.goto(f"{base_url}/staff/tokens")
    page.get_by_role("button", name="Create a token").click()
    assert page.locator("#new-token").inner_text().startswith("ct_")
    visited.check("console.tokens")

    page.goto(f"{base_url}/staff/consultations/{DEMO_SLUG}")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    sign_in(page, base_url, outbox, "ada@example.org")
    page.goto(f"{base_url}/staff/users")
    visited.check("console.users")
    create_and_edit_a_consultation(page, base_url, visited)
    page.goto(f"{base_url}/staff/consultations/{DEMO_SLUG}")
    page.get_by_role("button", name="Code the next response").click()
    for _ in range(len(BARKING) + len(REDBRIDGE)):
        page.wait_for_url(re.compile(r"/responses/\d+$|/queue/done$"))
        if page.url.endswith("/queue/done"):
            break
        page.get_by_label("Support").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Save and code next").click()
    page.wait_for_url(re.compile(r"/queue/done$"))
    visited.check("console.queue_done")
    assert visited.seen == PAGES


def create_and_edit_a_consultation(page, base_url: str, visited: Visited) -> None:
    """The admin's consultation pages: the list, the create form (refused once, with its errors, then accepted)
    and the edit form of the new consultation, which has no responses yet."""
    page.get_by_role("link", name="Manage consultations").click()
    page.wait_for_url(re.compile(r"/staff/manage/consultations$"))
    visited.check("console.manage_consultations")
    page.get_by_role("link", name="Create a consultation").click()
    page.wait_for_url(re.compile(r"/manage/consultations/new$"))
    visited.check("console.new_consultation")
    page.get_by_label("Slug", exact=True).fill("library-hours")
    page.get_by_label("Title", exact=True).fill("Library opening hours")
    page.get_by_label("Consulting body").fill("A council")
    page.get_by_label("Opens (London time)").fill("2030-03-01T09:00")
    page.get_by_label("Closes (London time)").fill("2030-02-01T09:00")
    with page.expect_navigation():
        page.get_by_role("button", name="Create the consultation").click()
    assert page.locator(".error-summary").get_by_role("link", name="Must be later than opens_at.").is_visible()
    visited.check("console.new_consultation")  # the form with its errors
    page.get_by_label("Closes (London time)").fill("2030-06-30T17:30")
    page.get_by_role("button", name="Create the consultation").click()
    page.wait_for_url(re.compile(r"/manage/consultations\?done=created"))
    page.get_by_role("link", name="Edit Library opening hours").click()
    page.wait_for_url(re.compile(r"/manage/consultations/library-hours/edit$"))
    assert page.get_by_label("Closes (London time)").input_value() == "2030-06-30T17:30"
    visited.check("console.edit_consultation")


def test_an_organiser_sees_only_their_borough(console_server, browser_page):
    base_url, app, outbox = console_server
    page = browser_page
    sign_in(page, base_url, outbox, "olu@example.org")
    page.goto(f"{base_url}/staff/consultations/{DEMO_SLUG}")
    text = page.locator("main").inner_text()
    assert "Barking and Dagenham" in text and "Redbridge" not in text and "Ilford" not in text
    page.goto(f"{base_url}/staff/consultations/{DEMO_SLUG}/responses")
    assert page.locator("#result-count").inner_text() == f"{len(BARKING)} responses"
    reply = page.goto(f"{base_url}/staff/consultations/{DEMO_SLUG}/responses?borough=E09000026")
    assert reply.status == 403
