"""Benchmark the response exports on PostgreSQL: stream 1,000,000 responses with flat memory.

    .venv/bin/python bench/bench_export.py [--n 1000000] [--database-url URL] [--xlsx-n 100000]
                                           [--runs service-csv,service-json,http-csv,service-xlsx]

Uses the data of bench/datagen.py (built if missing). Streams the CSV and JSON exports to /dev/null through the
service and the CSV through the HTTP endpoint (Flask test client, unbuffered), sampling the process's resident
memory (VmRSS) every 50,000 rows, and prints the RSS curve, the peak and the rate. XLSX goes through openpyxl's
write-only mode into a temporary file; it is slower, so it runs on the first --xlsx-n responses (one station
filter is not enough to bound it, so the table is cut with a row limit on the batches).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import datagen  # noqa: E402

from bench import loadguard  # noqa: E402

SAMPLE_EVERY = 50_000


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Sampler:
    """Counts rows as they are written and records RSS every SAMPLE_EVERY rows."""

    def __init__(self):
        self.rows = 0
        self.next_sample = SAMPLE_EVERY
        self.curve: list[tuple[int, float]] = [(0, rss_mib())]

    def __call__(self, rows: int) -> None:
        self.rows += rows
        while self.rows >= self.next_sample:
            self.curve.append((self.next_sample, rss_mib()))
            self.next_sample += SAMPLE_EVERY

    def report(self, label: str, seconds: float, written: int) -> None:
        peak = max(rss for _, rss in self.curve)
        start = self.curve[0][1]
        rate = self.rows / seconds
        print(f"\n{label}: {self.rows:,} rows, {written / 1e6:,.1f} MB in {seconds:.1f}s ({rate:,.0f} rows/s)")
        print("  RSS MiB by rows: " + ", ".join(f"{rows // 1000}k={rss:.0f}" for rows, rss in self.curve))
        print(f"  RSS at start {start:.0f} MiB, peak {peak:.0f} MiB, growth {peak - start:.0f} MiB")


def limited(table, limit: int):
    """The same table, cut after `limit` rows (whole batches)."""
    original = table.batches

    def batches():
        seen = 0
        for batch in original():
            yield batch
            seen += len(batch)
            if seen >= limit:
                return

    table.batches = batches
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=datagen.DEFAULT_URL)
    parser.add_argument("--xlsx-n", type=int, default=100_000)
    parser.add_argument("--runs", default="service-csv,service-json,http-csv,service-xlsx")
    loadguard.add_arguments(parser)
    args = parser.parse_args(argv)
    guard = loadguard.start(args)
    runs = args.runs.split(",")

    print(datagen.machine())
    app = datagen.prepare(args.database_url, args.n)

    from consultation.accounts.service import create_user_with_token
    from consultation.catalog.service import get_consultation
    from consultation.extensions import db
    from consultation.reporting import service as exports

    with app.app_context():
        _, token = create_user_with_token(db.session, name="Export benchmark reviewer", role="reviewer")
        db.session.commit()

    for file_format in ("csv", "json"):
        if f"service-{file_format}" not in runs:
            continue
        with app.app_context():
            table = exports.response_export(db.session, get_consultation(db.session, datagen.SLUG))
            sampler = Sampler()
            started, written = time.perf_counter(), 0
            with open(os.devnull, "w") as sink:
                for chunk in exports.text_chunks(table, file_format, on_rows=sampler):
                    sink.write(chunk)
                    written += len(chunk)
            sampler.report(f"service {file_format}", time.perf_counter() - started, written)

    if "http-csv" in runs:
        client = app.test_client()
        sampler = Sampler()
        started, written = time.perf_counter(), 0
        response = client.get(
            f"/api/v1/consultations/{datagen.SLUG}/exports/responses?format=csv",
            headers={"Authorization": f"Bearer {token}"},
            buffered=False,
        )
        assert response.status_code == 200, response.status_code
        pending = 0
        for chunk in response.response:
            written += len(chunk)
            # One chunk per batch: count its rows by its line ends (the free text holds no newlines here).
            pending += chunk.count(b"\n" if isinstance(chunk, bytes) else "\n")
            sampler(pending)
            pending = 0
        response.close()
        sampler.rows -= 1  # the header line
        sampler.report("GET exports/responses?format=csv", time.perf_counter() - started, written)

    if "service-xlsx" in runs:
        with app.app_context():
            table = limited(
                exports.response_export(db.session, get_consultation(db.session, datagen.SLUG)), args.xlsx_n
            )
            sampler = Sampler()
            handle, path = tempfile.mkstemp(suffix=".xlsx")
            os.close(handle)
            try:
                started = time.perf_counter()
                exports.write_xlsx(table, path, on_rows=sampler)
                size = os.path.getsize(path)
                sampler.report(f"service xlsx (first {args.xlsx_n:,})", time.perf_counter() - started, size)
            finally:
                os.unlink(path)
    guard.finish()


if __name__ == "__main__":
    main()
