"""The organiser's journey in headless Chromium (Debian's package, driven by Playwright), with axe-core's WCAG 2.2
A and AA rules on every page it opens: sign in, start a petition, register a pack and record its tally (the
public total moves by exactly the tally), compose a submission with two sections and the petition, preview it
(page images appear), file it and download the receipt's PDF; /verify says that PDF was filed and another was not.
After the deadline (a frozen clock) the file button gives way to the closed message.

Set WEB_SCREENSHOT_DIR to keep a screenshot of each page; the README's picture of the editor
(docs/console-submission-editor.png) is that folder's console-submission-editor.png, copied by hand.
"""

import io
import os
import re
import threading
from pathlib import Path

import pytest
import time_machine
from axe_playwright_python.sync_playwright import Axe
from pypdf import PdfWriter
from werkzeug.serving import make_server

from consultation.accounts.service import create_user
from consultation.clock import london_wall_time, now, to_london
from consultation.extensions import db
from tests.console.organiser.conftest import CLOSES_AT
from tests.console.test_sign_in import LINK
from tests.petitions.conftest import messages
from tests.submissions.conftest import make_consultation
from tests.web.test_browser import CHROMIUM_ARGS, chromium_or_fail

pytestmark = pytest.mark.browser
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}
SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "console-submission-editor.png"


def assert_accessible(page, name: str) -> None:
    # After a click the next page may still be arriving: check it once it and its stylesheets have loaded.
    page.wait_for_load_state("load")
    results = Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"
    if os.environ.get("WEB_SCREENSHOT_DIR"):
        page.screenshot(path=str(Path(os.environ["WEB_SCREENSHOT_DIR"]) / f"organiser-{name}.png"), full_page=True)


ORGANISER_EMAIL = "caseworker@mp.example.org"
# Ada twice: the second is flagged, so the possible duplicates page has a pair to show.
PACK_WITH_A_DUPLICATE = b"name,postcode\nAda Lovelace,RM10 7TU\nADA LOVELACE,RM10 7TU\n"


@pytest.fixture
def console_server(file_app, tmp_path):
    """The app on a free port with an open consultation and a Barking and Dagenham organiser; yields
    (base URL, app, organiser's user id)."""
    app = file_app(MAIL_OUTBOX=str(tmp_path / "outbox"))
    with app.app_context():
        make_consultation("front-counters", CLOSES_AT)
        user = create_user(
            db.session,
            None,
            name="Dagenham MP's office",
            role="organiser",
            borough_codes=["E09000002"],
            email=ORGANISER_EMAIL,
        )
        db.session.commit()
        user_id = user.id
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="console-live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app, user_id
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def browser():
    executable = chromium_or_fail()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def signed_in_page(browser, app, base_url: str):
    """A browser page signed in as the organiser the way a person does: ask for a link, open it, press the button."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{base_url}/staff/organiser")
    page.get_by_label("Email address").fill(ORGANISER_EMAIL)
    page.get_by_role("button", name="Email me a sign-in link").click()
    [message] = messages(Path(app.config["MAIL_OUTBOX"]))
    token = LINK.search(message.get_body(("plain",)).get_content()).group(2)
    page.goto(f"{base_url}/staff/sign-in/{token}")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/staff/organiser$"))
    return page


def public_total(page, base_url: str, petition_id: str) -> int:
    reply = page.request.get(f"{base_url}/api/v1/petitions/{petition_id}/totals")
    return reply.json()["total"]


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def start_petition(page, base_url: str) -> str:
    page.goto(f"{base_url}/staff/organiser")
    assert_accessible(page, "home")
    page.get_by_role("link", name="Start a petition").click()
    assert_accessible(page, "petition-new")
    page.get_by_label("Consultation").select_option("front-counters")
    page.get_by_label("Title").fill("Keep Dagenham's front counter open")
    page.get_by_label("Text").fill("We ask the consulting body to keep the front counter open.")
    page.locator("#station-front-counters-dagenham").check()
    page.get_by_label("Date").fill("2030-09-30")
    page.get_by_role("button", name="Start the petition").click()
    page.wait_for_url(re.compile(r"/staff/petitions/\d+$"))
    assert_accessible(page, "petition")
    return page.url.rsplit("/", 1)[1]


def register_and_tally(page, base_url: str, petition_id: str) -> None:
    today = to_london(now()).strftime("%Y-%m-%d")
    page.get_by_role("link", name="Paper packs").click()
    assert_accessible(page, "packs")
    page.get_by_label("Pack code").fill("DAG-001")
    page.get_by_label("Issued to").fill("A volunteer")
    page.get_by_label("Date").fill(today)
    page.get_by_role("button", name="Register the pack").click()
    before = public_total(page, base_url, petition_id)
    page.get_by_role("link", name="Record the tally of pack DAG-001").click()
    assert_accessible(page, "tally")
    page.get_by_label("Signatures counted").fill("37")
    page.get_by_label("Sheets").fill("4")
    page.get_by_label("Counted by").fill("The chair")
    page.get_by_label("Date").fill(today)
    page.get_by_role("button", name="Record the tally").click()
    assert public_total(page, base_url, petition_id) == before + 37
    page.get_by_role("link", name="Key in signatures of pack DAG-001").click()
    assert_accessible(page, "key-in")
    page.set_input_files("#file", files=[{"name": "pack.csv", "mimeType": "text/csv", "buffer": PACK_WITH_A_DUPLICATE}])
    page.get_by_role("button", name="Check and store").click()
    page.get_by_text("1 flagged as possible duplicates").wait_for()
    keyed_in = public_total(page, base_url, petition_id)  # the de-duplicated figure replaces the tally
    pages = (("signers", "signers"), ("duplicates", "duplicates"), ("history", "history"), ("edit", "petition-edit"))
    for path, name in pages:
        page.goto(f"{base_url}/staff/petitions/{petition_id}/{path}")
        assert_accessible(page, name)
    page.goto(f"{base_url}/staff/petitions/{petition_id}/duplicates")
    page.get_by_label("Choose ADA LOVELACE, RM10 7TU").check()
    page.get_by_label("Reason").fill("Two people of one name: checked")
    page.get_by_role("button", name="Count the ticked signatures", exact=True).click()
    page.get_by_text("No possible duplicates are waiting").wait_for()
    assert public_total(page, base_url, petition_id) == keyed_in + 1
    page.goto(f"{base_url}/staff/petitions")
    assert_accessible(page, "petitions")


def compose_and_preview(page, base_url: str) -> str:
    page.goto(f"{base_url}/staff/submissions")
    assert_accessible(page, "submissions")
    page.goto(f"{base_url}/staff/submissions/new")
    assert_accessible(page, "submission-new")
    page.get_by_label("Consultation").select_option("front-counters")
    page.get_by_label("Title").fill("Keep Dagenham's front counter open")
    page.get_by_label("Organisation").fill("Office of the MP for Dagenham and Rainham")
    page.get_by_label("Signed by").fill("A. Caseworker")
    page.get_by_label("Their role").fill("Caseworker to the MP")
    page.locator("#station-front-counters-dagenham").check()
    page.get_by_role("button", name="Continue to the editor").click()
    page.wait_for_url(re.compile(r"/staff/submissions/\d+$"))
    page.locator("#section-1-heading").fill("Why the counter matters")
    page.locator("#section-1-body").fill(
        "Residents report **4.1 crimes a day** here.\n\n- It is near\n- It is open late"
    )
    page.locator("#section-2-heading").fill("What we ask")
    page.locator("#section-2-body").fill("Keep the front counter *open*.")
    page.get_by_label("Keep Dagenham's front counter open").check()
    page.get_by_role("button", name="Save and preview").click()
    page.locator("img.preview-page").first.wait_for()
    assert page.locator("img.preview-page").count() >= 2
    assert_accessible(page, "submission-editor")
    submission_id = page.url.split("#")[0].rsplit("/", 1)[1]
    page.goto(f"{base_url}/staff/submissions/{submission_id}")  # from the top, as the organiser first sees it
    page.locator("img.preview-page").first.wait_for()
    if os.environ.get("WEB_SCREENSHOT_DIR"):  # never written into docs/ by a test run: copy it there by hand
        page.screenshot(path=str(Path(os.environ["WEB_SCREENSHOT_DIR"]) / SCREENSHOT.name), full_page=False)
    return submission_id


def test_an_organiser_runs_a_petition_and_files_a_submission_that_verifies(console_server, browser, tmp_path):
    base_url, app, _ = console_server
    page = signed_in_page(browser, app, base_url)
    petition_id = start_petition(page, base_url)
    register_and_tally(page, base_url, petition_id)
    submission_id = compose_and_preview(page, base_url)

    page.get_by_role("link", name="File this submission").click()
    assert_accessible(page, "file-confirm")
    page.get_by_role("button", name="File the submission").click()
    page.wait_for_url(re.compile(r"/receipt$"))
    assert_accessible(page, "receipt")
    sha256 = page.locator("#filing-sha256").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the filed PDF").click()
    filed_pdf = tmp_path / "filed.pdf"
    download.value.save_as(filed_pdf)
    import hashlib

    assert hashlib.sha256(filed_pdf.read_bytes()).hexdigest() == sha256

    page.goto(f"{base_url}/verify")
    assert_accessible(page, "verify")
    page.set_input_files("#document", str(filed_pdf))
    page.get_by_role("button", name="Check").click()
    assert page.locator("#verify-result h1").inner_text() == "Filed"
    assert page.locator("#verify-organisation").inner_text() == "Office of the MP for Dagenham and Rainham"
    assert_accessible(page, "verify-filed")
    other = tmp_path / "other.pdf"
    other.write_bytes(blank_pdf())
    page.goto(f"{base_url}/verify")
    page.set_input_files("#document", str(other))
    page.get_by_role("button", name="Check").click()
    assert page.locator("#verify-result h1").inner_text() == "Not filed"
    assert_accessible(page, "verify-not-filed")
    assert submission_id


def test_after_the_deadline_the_file_button_is_replaced_by_the_closed_message(console_server, browser, client):
    base_url, app, user_id = console_server
    with app.app_context():
        from consultation.accounts.models import User
        from consultation.submissions import service
        from tests.submissions.conftest import submission_body

        owner = db.session.get(User, user_id)
        submission_id = service.create_submission(db.session, owner, {**submission_body(), "petitions": []}).id
        db.session.remove()
    with time_machine.travel(london_wall_time(2030, 10, 4, 17, 30), tick=False):
        page = signed_in_page(browser, app, base_url)
        page.goto(f"{base_url}/staff/submissions/{submission_id}/file")
        assert page.locator("#closed-message").is_visible()
        assert page.get_by_role("button", name="File the submission").count() == 0
        assert_accessible(page, "file-closed")
