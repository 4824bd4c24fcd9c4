"""Benchmark the response explorer's word search on PostgreSQL beside raw full-text SQL on the same data.

    .venv/bin/python bench/bench_search.py [--size 1000000] [--database-url URL] [--repeat 5] [--force]

Builds (or reuses) the data with bench/datagen.py: N responses, each with a free-text answer. Then, in one process:

- the baseline: the first page in raw SQL (answers matched by `search_text @@ plainto_tsquery('english', ...)` on
  the GIN index, joined to their responses, oldest first, 100 rows), and a plain count of the matches;
- the listing service with `q` (the page, its answers, and the match count, exact up to 10,000 and estimated past
  it) and `GET /consultations/{slug}/responses?q=...`,

for a three-word query, a less and a more common two-word query and one found nowhere, each the median of
--repeat warm runs. Target: the first page of a two-word query under 200 ms at 1,000,000 responses.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import datagen  # noqa: E402

TARGET_SECONDS = 0.2
# In about 1 in 180, 1 in 36 and 1 in 6 of the generated texts, and in none: an exact count (the page is read from
# the answers' index), two estimated ones (the page checks responses in order), and an empty result.
QUERIES = ("mother buses thank", "mother buses", "visible presence", "zebra crossing")
RAW_PAGE = """
SELECT r.id, r.reference, r.received_at
FROM responses r
WHERE r.consultation_id = :consultation_id
  AND r.id IN (SELECT a.response_id FROM answers a WHERE a.search_text @@ plainto_tsquery('english', :q))
ORDER BY r.received_at, r.id
LIMIT 100
"""
RAW_COUNT = """
SELECT count(*) FROM responses r
WHERE r.consultation_id = :consultation_id
  AND r.id IN (SELECT a.response_id FROM answers a WHERE a.search_text @@ plainto_tsquery('english', :q))
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args, guard, app = datagen.start(parser, argv)

    from sqlalchemy import text

    from consultation.accounts.models import User
    from consultation.accounts.service import create_user_with_token
    from consultation.catalog.service import get_consultation
    from consultation.extensions import db
    from consultation.intake.reading import list_responses

    with app.app_context():
        user, token = create_user_with_token(db.session, name="Search benchmark reviewer", role="reviewer")
        db.session.commit()
        consultation_id = get_consultation(db.session, datagen.SLUG).id
        user_id = user.id
        db.session.remove()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    print(f"\n{'what (median, warm)':<52} {'seconds':>8} {'x raw':>8} {'rows':>5} {'matches':>10}")
    slowest = 0.0
    for q in QUERIES:
        with app.app_context():
            parameters = {"consultation_id": consultation_id, "q": q}
            raw_page, rows = datagen.median_seconds(
                lambda parameters=parameters: db.session.execute(text(RAW_PAGE), parameters).all(), args.repeat
            )
            raw_count, count = datagen.median_seconds(
                lambda parameters=parameters: db.session.scalar(text(RAW_COUNT), parameters), args.repeat
            )
            print(f"{'raw SQL: first page, ' + repr(q):<52} {raw_page:>8.3f} {'':>8} {len(rows):>5}")
            print(f"{'raw SQL: exact count, ' + repr(q):<52} {raw_count:>8.3f} {'':>8} {'':>5} {count:>10,}")

            def service(q=q):
                user = db.session.get(User, user_id)
                page = list_responses(db.session, user, slug=datagen.SLUG, q=q, limit=100)
                db.session.rollback()
                return page

            seconds, page = datagen.median_seconds(service, args.repeat)
            db.session.remove()
        slowest = max(slowest, seconds)
        estimate = "" if page.match_count_exact else " (estimate)"
        label = f"service: page + count, {q!r}"
        print(
            f"{label:<52} {seconds:>8.3f} {guard.ratio(seconds / raw_page):>8} {len(page.responses):>5} "
            f"{page.match_count:>10,}{estimate}"
        )
        url = f"/api/v1/consultations/{datagen.SLUG}/responses?q={q.replace(' ', '%20')}&limit=100"
        seconds, _ = datagen.median_seconds(lambda url=url: client.get(url, headers=headers), args.repeat)
        print(f"{'GET responses?q=' + repr(q):<52} {seconds:>8.3f} {guard.ratio(seconds / raw_page):>8}")
    guard.verdict("slowest service call", slowest, TARGET_SECONDS)
    guard.finish()


if __name__ == "__main__":
    main()
