"""Benchmark a 32-borough submission PDF: our render beside plain WeasyPrint on the same HTML, in the same run.

    .venv/bin/python bench/bench_submission.py [--per-station 70] [--runs 2]

Builds a throwaway SQLite database: the demo consultation (all 32 boroughs), `--per-station` generated responses
for each of its stations (imported and analysed through intake and analysis), and a submission covering one or two
stations in every borough, with the top five themes and three quotes each (about 500 quotes). Then, each in a
fresh forked process so peak memory is measured per render:

- ours: gathering the figures (services), the Jinja template, WeasyPrint through ProjectURLFetcher, PDF/A-3b,
  tagged, CSV attachments, under the render time limit (the layout thread);
- plain: `HTML(string=...).write_pdf()` with WeasyPrint's default fetcher and options on the same HTML, whose
  project: resources (fonts, stylesheet, charts) are written to a temporary folder and linked by file path.

Prints wall and CPU time and the child's peak RSS (and its growth over the RSS at fork) for each run, ours and
plain alternating. The ratios are of median wall seconds, which the load guard makes meaningful: ours renders in
the render process (a child of the fork server, as in the app), whose CPU the measuring child cannot count, so the
CPU column is only the measuring child's own (figures, template, waiting).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import datagen  # noqa: E402

from bench import loadguard  # noqa: E402


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def in_child(work):
    """Run `work` in a forked child; returns (result, wall s, CPU s, peak RSS MiB, RSS MiB at start)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        start_rss = rss_mib()
        started, cpu_started = time.perf_counter(), time.process_time()
        result = work()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        os.write(write_end, f"{result}|{seconds}|{cpu}|{peak}|{start_rss}".encode())
        os._exit(0)
    os.close(write_end)
    data = b""
    while chunk := os.read(read_end, 4096):
        data += chunk
    os.waitpid(pid, 0)
    result, seconds, cpu, peak, start = data.decode().split("|")
    return result, float(seconds), float(cpu), float(peak), float(start)


def build(app, per_station: int):
    from sqlalchemy import select

    from consultation.accounts.models import User
    from consultation.accounts.service import create_user_with_token
    from consultation.analysis.demo import seed_demo_codebooks
    from consultation.catalog.demo import DEMO_SLUG, seed_demo
    from consultation.catalog.service import get_consultation
    from consultation.extensions import db
    from consultation.submissions import service
    from consultation.submissions.demo import seed_responses

    with app.app_context():
        seed_demo(db.session)
        seed_demo_codebooks(db.session)
        started = time.perf_counter()
        added = seed_responses(db.session, per_station=per_station)
        print(f"data: {added:,} generated responses imported and analysed in {time.perf_counter() - started:.1f}s")
        consultation = get_consultation(db.session, DEMO_SLUG)
        chosen, seen = [], {}
        for station in sorted(consultation.stations, key=lambda s: (s.borough.gss_code, s.proposal != "close")):
            seen[station.borough_id] = seen.get(station.borough_id, 0) + 1
            if seen[station.borough_id] == 1 or station.slug in ("barking", "ilford"):
                chosen.append(station.slug)
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        if admin is None:
            admin, _ = create_user_with_token(db.session, name="Bench admin", role="admin")
        submission = service.create_submission(
            db.session,
            admin,
            {
                "consultation": DEMO_SLUG,
                "title": "London-wide response on police front counters",
                "addressed_to": "Mayor's Office for Policing and Crime\nCity Hall\nLondon",
                "organisation": "London boroughs (benchmark)",
                "signatory": {"name": "Bench", "role": "Benchmark"},
                "stations": chosen,
                "sections": [{"heading": "Our view", "body": "Keep the counters open. " * 40}],
                "include_aggregates": True,
            },
        )
        boroughs = len({s.borough_id for s in consultation.stations if s.slug in chosen})
        return submission.id, len(chosen), boroughs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--per-station",
        "--size",
        type=int,
        default=70,
        help="generated responses per station (--size 2: a quick check)",
    )
    parser.add_argument("--runs", type=int, default=2, help="renders of each kind (alternating)")
    loadguard.add_arguments(parser)
    options = parser.parse_args(argv)
    guard = loadguard.start(options)

    from consultation import create_app
    from consultation.clock import now
    from consultation.extensions import db
    from consultation.submissions.document import build_document
    from consultation.submissions.models import Submission
    from consultation.submissions.rendering import html_to_pdf, submission_html

    workdir = Path(tempfile.mkdtemp(prefix="bench-submission-"))
    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.db'}"})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    submission_id, station_count, borough_count = build(app, options.per_station)
    rendered_at = now()
    with app.app_context():
        submission = db.session.get(Submission, submission_id)
        document = build_document(db.session, submission, rendered_at=rendered_at)
        quotes = sum(len(theme["quotes"]) for block in document.context["stations"] for theme in block["themes"])
        html, resources, attachments = submission_html(db.session, submission, rendered_at=rendered_at)
    print(datagen.machine())
    print(
        f"submission: {borough_count} boroughs, {station_count} stations, {quotes} quotes, "
        f"{len(document.charts)} charts, {len(html):,} characters of HTML"
    )

    # The same HTML for plain WeasyPrint: project: URLs become files in a temporary folder.
    from consultation.submissions.fetcher import ProjectURLFetcher

    assets = workdir / "assets"
    fetcher = ProjectURLFetcher(resources)
    names = set(re.findall(r"project:([\w./-]+)", html))
    names |= set(re.findall(r"project:([\w./-]+)", fetcher.fetch("project:style/submission.css").read().decode()))
    for name in names:
        target = assets / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(fetcher.fetch(f"project:{name}").read())
    css = (assets / "style/submission.css").read_text().replace("project:", str(assets) + "/")
    (assets / "style/submission.css").write_text(css)
    plain_html = html.replace("project:", str(assets) + "/")

    def ours():
        with app.app_context():
            from consultation.submissions.rendering import render_submission

            result = render_submission(db.session, db.session.get(Submission, submission_id), rendered_at=rendered_at)
            return f"{result.pages} pages, {len(result.pdf) / 1e6:.2f} MB"

    def ours_layout_only():
        result = html_to_pdf(html, resources=resources, attachments=attachments)
        return f"{result.pages} pages, {len(result.pdf) / 1e6:.2f} MB"

    def plain():
        from weasyprint import HTML

        pdf = HTML(string=plain_html, base_url=str(assets) + "/").write_pdf()
        return f"{len(pdf) / 1e6:.2f} MB"

    print(f"{'run':<34} {'wall s':>7} {'CPU s':>6} {'peak RSS MiB':>13} {'growth MiB':>11}  output")
    wall_seconds: dict[str, list[float]] = {}
    for run in range(1, options.runs + 1):
        for label, work in (
            ("ours (figures + render)", ours),
            ("ours (render of the same HTML)", ours_layout_only),
            ("plain WeasyPrint, same HTML", plain),
        ):
            result, seconds, cpu, peak, start = in_child(work)
            wall_seconds.setdefault(label, []).append(seconds)
            print(f"{label + f' #{run}':<34} {seconds:>7.2f} {cpu:>6.2f} {peak:>13.0f} {peak - start:>11.0f}  {result}")
    plain_wall = statistics.median(wall_seconds["plain WeasyPrint, same HTML"])
    for label in ("ours (figures + render)", "ours (render of the same HTML)"):
        ratio = statistics.median(wall_seconds[label]) / plain_wall
        print(f"{label} / plain WeasyPrint, median wall: {guard.ratio(ratio)}")
    preview_seconds(html, resources, attachments)
    guard.finish()


def preview_seconds(html: str, resources: dict, attachments: dict) -> None:
    """The preview beside the editor: the render above, then its first pages drawn as PNG images (pypdfium2)."""
    from consultation.submissions.previews import MAX_PREVIEW_PAGES, page_images
    from consultation.submissions.rendering import html_to_pdf

    started = time.perf_counter()
    rendered = html_to_pdf(html, resources=resources, attachments=attachments)
    rendering = time.perf_counter() - started
    started = time.perf_counter()
    images = page_images(rendered.pdf)
    drawing = time.perf_counter() - started
    print(
        f"preview: render {rendering:.2f} s + {len(images)} page images (at most {MAX_PREVIEW_PAGES}) "
        f"{drawing:.2f} s = {rendering + drawing:.2f} s wall"
    )


if __name__ == "__main__":
    main()
