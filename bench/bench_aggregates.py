"""Benchmark the aggregates on PostgreSQL beside raw SQL GROUP BY on the same data, with the query plans.

    .venv/bin/python bench/bench_aggregates.py [--size 1000000] [--database-url URL] [--reset] [--repeat 5] [--force]

Builds the data with bench/datagen.py (migrations, COPY, VACUUM ANALYZE; reused when already there, after bringing
its schema to the newest revision). Then, in one process, on one connection's settings:

- EXPLAIN (ANALYZE, BUFFERS) of the statements of the aggregates (the counts, the themes, and under
  campaigns=once the campaigns' representatives, from their leads) and of the two raw-SQL baselines;
- the baselines, timed: stance by borough (responses joined to their analysis and station, GROUP BY borough and
  stance) and themes by borough (theme assignments joined to responses and stations, GROUP BY borough and theme),
  the figures a hand-written report would start from;
- the aggregates service (`compute_aggregates`) and the HTTP endpoint for group_by=borough|station and
  campaigns=each|once, each as the median of --repeat runs after one warm-up, with its ratio to the two baselines
  added together (the service returns both figures, and more: channels, respondent types, campaigns).

The target: every service call under 100 ms at 1,000,000 responses (the figures come from the summary tables).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import datagen  # noqa: E402

TARGET_SECONDS = 0.1  # group_by=borough and station, both campaign modes, at 1,000,000 responses

RAW_STANCE = """
SELECT {group}, a.stance, count(*)
FROM responses r
JOIN stations s ON s.id = r.station_id
LEFT JOIN response_analyses a ON a.response_id = r.id
WHERE r.consultation_id = :consultation_id AND r.status = 'active' AND r.late = false
GROUP BY {group}, a.stance
"""

RAW_THEMES = """
SELECT {group}, t.theme_id, count(*)
FROM theme_assignments t
JOIN responses r ON r.id = t.response_id
JOIN stations s ON s.id = r.station_id
WHERE r.consultation_id = :consultation_id AND r.status = 'active' AND r.late = false
GROUP BY {group}, t.theme_id
"""
GROUP_COLUMNS = {"borough": "s.borough_id", "station": "r.station_id"}
RAW_STANCE_BY_BOROUGH = RAW_STANCE.format(group=GROUP_COLUMNS["borough"])
RAW_THEMES_BY_BOROUGH = RAW_THEMES.format(group=GROUP_COLUMNS["borough"])


def _literal_sql(statement) -> str:
    from sqlalchemy.dialects import postgresql

    return str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def _explain(session, title: str, sql: str, params: dict | None = None) -> None:
    from sqlalchemy import text

    from consultation.reporting.service import aggregates

    aggregates._tune(session)  # the same work_mem and jit settings the service runs with
    rows = session.execute(text("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql), params or {}).scalars().all()
    session.rollback()
    print(f"\n-- EXPLAIN {title}")
    for row in rows:
        print(f"   {row}")


def _raw(session, sql: str, consultation_id: int) -> int:
    from sqlalchemy import text

    from consultation.reporting.service import aggregates

    aggregates._tune(session)
    rows = session.execute(text(sql), {"consultation_id": consultation_id}).all()
    session.rollback()
    return len(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-explain", action="store_true", help="Skip the EXPLAIN ANALYZE plans.")
    args, guard, app = datagen.start(parser, argv)

    from consultation.accounts.service import create_user_with_token
    from consultation.catalog.service import get_consultation
    from consultation.extensions import db
    from consultation.reporting.models import CampaignLead, ResponseCount, ThemeCount
    from consultation.reporting.service import aggregates, compute_aggregates, summary_queries

    with app.app_context():
        session = db.session
        version = session.scalar(db.text("SELECT version()")).split(",")[0]
        counted = session.scalar(db.text("SELECT count(*) FROM responses"))
        assignments = session.scalar(db.text("SELECT count(*) FROM theme_assignments"))
        indexes = session.scalars(
            db.text("SELECT indexname FROM pg_indexes WHERE tablename = 'responses' ORDER BY indexname")
        ).all()
        _, token = create_user_with_token(session, name="Benchmark reviewer", role="reviewer")
        session.commit()
        consultation = get_consultation(session, datagen.SLUG)
        consultation_id = consultation.id
        print(f"{version}; {counted:,} responses, {assignments:,} theme assignments")
        print(f"indexes on responses: {', '.join(indexes)}")

        if not args.no_explain:
            scope = aggregates.resolve_scope(session, consultation, None)
            count_filters = aggregates.selection_filters(ResponseCount, consultation, scope, include_late=False)
            theme_filters = aggregates.selection_filters(ThemeCount, consultation, scope, include_late=False)
            theme_ids = [theme.id for theme in aggregates.codebook_themes(session, consultation)]
            _explain(
                session,
                "aggregates: counts by borough (summary table)",
                _literal_sql(summary_queries.counts_query(count_filters, "borough")),
            )
            _explain(
                session,
                "aggregates: themes by station (summary table)",
                _literal_sql(summary_queries.station_themes_query(theme_filters, theme_ids)),
            )
            lead_filters = aggregates.selection_filters(CampaignLead, consultation, scope, include_late=False)
            representatives = summary_queries.representatives(lead_filters, "borough", False)
            _explain(
                session,
                "aggregates: campaign representatives by borough, from the leads (campaigns=once only)",
                _literal_sql(summary_queries.representatives_query(representatives, theme_ids)),
            )
            _explain(
                session,
                "aggregates: counts outside campaigns by station (campaigns=once only)",
                _literal_sql(summary_queries.outside_counts_query(count_filters)),
            )
            _explain(session, "raw SQL: stance by borough", RAW_STANCE_BY_BOROUGH, {"consultation_id": consultation_id})
            _explain(session, "raw SQL: themes by borough", RAW_THEMES_BY_BOROUGH, {"consultation_id": consultation_id})
        session.remove()

        baselines = {}
        for group_by, column in GROUP_COLUMNS.items():
            baselines[group_by] = sum(
                datagen.median_seconds(lambda sql=sql: _raw(db.session, sql, consultation_id), args.repeat)[0]
                for sql in (RAW_STANCE.format(group=column), RAW_THEMES.format(group=column))
            )
        raw_total = db.session.scalar(
            db.text(
                "SELECT count(*) FROM responses WHERE consultation_id = :id AND status = 'active' AND late = false"
            ),
            {"id": consultation_id},
        )
        db.session.remove()
    heading = f"what (median of {args.repeat}, warm)"
    print(f"\n{heading:<46} {'seconds':>8} {'x raw':>7} {'groups':>7} {'total':>9}")
    for group_by, seconds in baselines.items():
        print(f"{'raw SQL: stance + themes by ' + group_by:<46} {seconds:>8.3f}")

    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    slowest = 0.0
    for group_by in ("borough", "station"):
        for campaigns in ("each", "once"):
            with app.app_context():

                def service(group_by=group_by, campaigns=campaigns):
                    consultation = get_consultation(db.session, datagen.SLUG)
                    document = compute_aggregates(db.session, consultation, group_by=group_by, campaigns=campaigns)
                    db.session.rollback()
                    return document

                document = service()
                seconds = datagen.median_seconds(service, args.repeat)[0]
                db.session.remove()
            slowest = max(slowest, seconds)
            ratio = guard.ratio(seconds / baselines[group_by])
            label = f"service group_by={group_by} campaigns={campaigns}"
            groups, total = len(document["groups"]), document["overall"]["total"]
            print(f"{label:<46} {seconds:>8.3f} {ratio:>7} {groups:>7} {total:>9,}")
            if campaigns == "each" and total != raw_total:
                print(f"   MISMATCH: the service counted {total:,}, raw SQL {raw_total:,}")

            url = f"/api/v1/consultations/{datagen.SLUG}/aggregates?group_by={group_by}&campaigns={campaigns}"

            def http(url=url):
                response = client.get(url, headers=headers)
                assert response.status_code == 200, response.get_data(as_text=True)
                return response.get_json()

            seconds = datagen.median_seconds(http, args.repeat)[0]
            label = f"GET aggregates group_by={group_by} campaigns={campaigns}"
            print(f"{label:<46} {seconds:>8.3f} {guard.ratio(seconds / baselines[group_by]):>7}")

    guard.verdict("slowest service call", slowest, TARGET_SECONDS)
    guard.finish()


if __name__ == "__main__":
    main()
