"""The resident pages' content security policy, in headless Chromium: every page of the answer and change flows
loads its stylesheet and works, and the browser reports no violation of the policy."""

import re

import pytest

from consultation.catalog.demo import DEMO_SLUG
from tests.web.test_browser import browser_page, live_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

# Runs before any page script (none exists): collects what the browser refused under the policy.
COLLECT_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
    (event) => window.__violations.push(event.violatedDirective + ' ' + event.blockedURI));
"""


def _visit(page, url: str) -> None:
    response = page.goto(url)
    assert response.status == 200, url
    assert "default-src 'self'" in response.headers["content-security-policy"]


def _styled_and_clean(page) -> None:
    page.wait_for_load_state("load")  # the stylesheet too, after a click that navigated
    # The stylesheet applied: the skip link is moved off-screen by web.css, not by the browser's defaults.
    assert page.evaluate("getComputedStyle(document.querySelector('.skip-link')).position") == "absolute"
    assert page.evaluate("window.__violations") == []


def test_the_resident_pages_break_nothing_under_their_content_security_policy(live_server, browser_page):  # noqa: F811
    base_url, _ = live_server
    page = browser_page
    page.add_init_script(COLLECT_VIOLATIONS)
    console_errors = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)

    for path in ("/consult/", f"/consult/{DEMO_SLUG}", f"/consult/{DEMO_SLUG}/stations/dagenham"):
        _visit(page, base_url + path)
        _styled_and_clean(page)

    page.get_by_label("I live nearby").check()
    page.get_by_label("Strongly disagree").check()
    page.get_by_role("button", name="Send my response").click()
    page.wait_for_url(re.compile(r"/response-received$"))
    _styled_and_clean(page)
    reference = page.locator("#reference").inner_text().strip()
    edit_code = page.locator("#edit-code").inner_text().strip()

    page.get_by_role("link", name="Change or withdraw your response").click()
    page.wait_for_url(re.compile(r"/change$"))
    _styled_and_clean(page)
    page.get_by_label("Reference number").fill(reference)
    page.get_by_label("Edit code").fill(edit_code)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/change/response$"))
    _styled_and_clean(page)

    assert not [text for text in console_errors if "Content Security Policy" in text], console_errors
