"""Rendering never reaches outside the project, user text is escaped, and a render has a time limit."""

import io
import multiprocessing
import time

import pytest
from pypdf import PdfReader

from consultation.clock import now
from consultation.extensions import db
from consultation.submissions import service
from consultation.submissions.fetcher import FetchRefused, ProjectURLFetcher
from consultation.submissions.markup import render_body
from consultation.submissions.rendering import (
    CHILD_NAME,
    RenderTimeLimitExceeded,
    html_to_pdf,
    render_submission,
    run_in_child,
)
from tests.submissions.stuck_render import never_finishes

HOSTILE_BODY = (
    '<img src="file:///etc/passwd">\n\n'
    '<link rel="attachment" href="file:///etc/passwd">\n\n'
    '<p style="background: url(http://127.0.0.1:9/x)">styled</p>\n\n'
    "![picture](file:///etc/passwd) [a link](http://127.0.0.1:9/x)\n\n" + "W" * 10_000
)


def test_a_hostile_submission_renders_with_its_text_escaped_and_nothing_outside_fetched(app, consultation, tokens):
    from consultation.accounts.tokens import user_for_token

    organiser = user_for_token(db.session, tokens["organiser"])
    submission = service.create_submission(
        db.session,
        organiser,
        {
            "consultation": "front-counters",
            "title": '<script>alert("x")</script> Keep it open',
            "addressed_to": "<b>The body</b>",
            "organisation": "Residents & friends",
            "signatory": {"name": "A. Organiser", "role": "Chair"},
            "stations": ["dagenham"],
            "sections": [{"heading": "<h1>Heading</h1>", "body": HOSTILE_BODY}],
            "include_aggregates": True,
        },
    )
    rendered = render_submission(db.session, submission, rendered_at=now())

    fetcher = rendered.fetcher
    assert fetcher.refused == []  # the hostile URLs never even reached the fetcher: they were text
    assert fetcher.served and all(url.startswith("project:") for url in fetcher.served)
    reader = PdfReader(io.BytesIO(rendered.pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    compact = "".join(text.split())
    assert '<imgsrc="file:///etc/passwd">' in compact
    assert '<linkrel="attachment"href="file:///etc/passwd">' in compact
    assert "url(http://127.0.0.1:9/x)" in compact
    assert '<script>alert("x")</script>' in compact
    # The 10,000-character word wraps across lines and pages (between running headers); none of it is lost.
    assert "W" * 1000 in compact and compact.count("W") >= 10_000
    assert set(reader.attachments) == {"station-figures.csv", "responses-by-station.csv", "themes-by-station.csv"}


def test_the_fetcher_refuses_outside_urls_even_in_raw_html():
    """A second line of defence: HTML that did carry outside URLs still fetches nothing from outside."""
    html = (
        '<html lang="en-GB"><head><title>t</title><link rel="attachment" href="file:///etc/passwd">'
        '<link rel="stylesheet" href="http://127.0.0.1:9/style.css"></head><body>'
        '<img src="file:///etc/passwd" alt="a"><img src="data:image/png;base64,iVBORw0KGgo=" alt="b">'
        '<p style="background: url(http://127.0.0.1:9/x)">text</p><img src="relative.png" alt="c"></body></html>'
    )
    rendered = html_to_pdf(html)
    refused = set(rendered.fetcher.refused)
    assert {"file:///etc/passwd", "http://127.0.0.1:9/x", "http://127.0.0.1:9/style.css"} <= refused
    assert any(url.startswith("data:") for url in refused)
    assert all(url.startswith("project:") for url in rendered.fetcher.served)
    assert PdfReader(io.BytesIO(rendered.pdf)).attachments == {}


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "http://127.0.0.1:9/x", "https://example.org/a.css", "data:text/css,a{}", "x.css"]
)
def test_the_fetcher_refuses_every_url_that_is_not_a_project_asset(url):
    fetcher = ProjectURLFetcher()
    with pytest.raises(FetchRefused):
        fetcher.fetch(url)
    with pytest.raises(FetchRefused):
        fetcher.fetch("project:../../etc/passwd")
    assert fetcher.served == []


def test_the_fetcher_serves_the_bundled_font_and_in_memory_resources():
    fetcher = ProjectURLFetcher({"chart/a.svg": (b"<svg/>", "image/svg+xml")})
    assert fetcher.fetch("project:fonts/regular.ttf").read()[:4] == b"\x00\x01\x00\x00"
    assert fetcher.fetch("project:chart/a.svg").read() == b"<svg/>"


def test_section_bodies_allow_only_the_markdown_subset():
    html = render_body("*a* **b**\n\n- one\n- [two](http://127.0.0.1:9/x)\n\n<b>raw</b> ![i](file:///etc/passwd)")
    assert "<em>a</em>" in html and "<strong>b</strong>" in html and "<li>one</li>" in html
    assert "<li>two (http://127.0.0.1:9/x)</li>" in html  # links shown as text
    assert "&lt;b&gt;raw&lt;/b&gt;" in html
    assert "<img" not in html and "<a " not in html


def test_a_render_past_the_time_limit_is_stopped_with_a_clear_error():
    rows = "".join(f"<tr><td>{index}</td><td>{'word ' * 30}</td></tr>" for index in range(4000))
    html = f'<html lang="en-GB"><body><table>{rows}</table></body></html>'
    started = time.perf_counter()
    with pytest.raises(RenderTimeLimitExceeded) as raised:
        html_to_pdf(html, time_limit=0.2)
    assert time.perf_counter() - started < 10
    assert raised.value.code == "render_time_limit"
    assert "0.2-second render limit" in raised.value.message
    # the render process itself was stopped, not left laying out 4,000 rows in the background
    assert not [child for child in multiprocessing.active_children() if child.name == CHILD_NAME]


def test_a_stuck_render_is_ended_within_its_limit_and_its_process_is_gone():
    steps = []
    started = time.perf_counter()
    with pytest.raises(RenderTimeLimitExceeded):
        run_in_child(never_finishes, (), seconds=1.0, progress=steps.append)
    assert time.perf_counter() - started < 10  # the limit plus starting and killing the child, never the render
    assert steps == ["laying out pages"]  # it had started: the limit stopped a render under way
    assert not [child for child in multiprocessing.active_children() if child.name == CHILD_NAME]


def _render_in_the_pool() -> int:
    return html_to_pdf('<html lang="en-GB"><body><p>Filed from a worker</p></body></html>', time_limit=60).pages


def test_a_render_works_in_a_task_process_of_celerys_prefork_pool():
    # billiard's pool is what Celery's prefork worker runs tasks in: daemonic processes, with billiard's own process
    # object. multiprocessing refused to start a child from one, then to pickle it for the fork server.
    import billiard

    pool = billiard.Pool(processes=1)
    try:
        assert pool.apply(_render_in_the_pool) == 1
    finally:
        pool.terminate()
        pool.join()
