"""Flask commands: seed-demo, create-token (and the commands each capability adds)."""

import functools
import sys
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask
from tqdm import tqdm

from consultation.accounts.commands import COMMANDS as ACCOUNT_COMMANDS
from consultation.accounts.commands import seed_demo_staff
from consultation.accounts.permissions import ROLES
from consultation.accounts.service import create_user_with_token
from consultation.analysis.commands import COMMANDS as ANALYSIS_COMMANDS
from consultation.analysis.demo import seed_demo_codebooks
from consultation.catalog.demo import DEMO_SLUG, seed_demo
from consultation.common import IMPORT_MODES, counted
from consultation.errors import ApiError
from consultation.extensions import db
from consultation.intake.idempotency import purge_expired
from consultation.intake.imports import ImportRejected, import_responses
from consultation.outbox_commands import COMMANDS as MAIL_COMMANDS
from consultation.petitions.commands import COMMANDS as PETITION_COMMANDS
from consultation.petitions.demo import seed_demo_petition
from consultation.reporting.commands import REPORTING_COMMANDS
from consultation.submissions.commands import COMMANDS as SUBMISSION_COMMANDS


def _fail(error: ApiError) -> None:
    details = "; ".join(f"{field}: {' '.join(map(str, messages))}" for field, messages in error.errors.items())
    raise click.ClickException(f"{error.message} {details}".strip())


@click.command("seed-demo")
def seed_demo_command():
    """Load the 32 boroughs and the demo consultations (safe to run again)."""
    created = seed_demo(db.session)
    if created:
        click.echo(f"Created consultations: {', '.join(created)}")
    else:
        click.echo("Demo data already present; nothing to do.")
    codebooks = seed_demo_codebooks(db.session)
    if codebooks:
        click.echo(f"Loaded the demo codebook into: {', '.join(codebooks)}")
    petition = seed_demo_petition(db.session, DEMO_SLUG)
    if petition is not None:
        click.echo(f"Added demo petition {petition.id}, {petition.title!r}: its signers' names are generated.")
    from consultation.submissions import demo as submissions_demo

    seeded = submissions_demo.seed(db.session)
    if seeded["responses"]:
        click.echo(f"Imported and analysed {counted(seeded['responses'], 'generated demo response')}")
    if seeded["submission"]:
        click.echo(f"Created the draft demo submission {seeded['submission']} (render it with render-submission)")
    staff = seed_demo_staff(db.session)
    if staff:
        click.echo(
            f"Created the demo staff: {', '.join(staff)} "
            "(sign in with: .venv/bin/flask --app app sign-in-link --email ...)"
        )


@click.command("create-token")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", required=True, help="Who the token is for, e.g. 'Barking and Dagenham Council'.")
@click.option("--borough", "boroughs", multiple=True, help="GSS code an organiser may act for; repeatable.")
def create_token_command(role, name, boroughs):
    """Create a user and print their API token; it is shown once, as the last line."""
    try:
        user, token = create_user_with_token(db.session, name=name, role=role, borough_codes=boroughs)
    except ApiError as error:
        db.session.rollback()
        _fail(error)
    db.session.commit()
    scope = f" for {', '.join(boroughs)}" if boroughs else ""
    click.echo(f"Created {role} {user.name!r}{scope}. Store this token now; it will not be shown again:")
    click.echo(token)


@click.group("export")
def export_group():
    """Export responses or aggregates to a file (CSV, XLSX, JSON or NDJSON)."""


def _export_options(command):
    options = [
        click.option("--consultation", "slug", required=True, help="The consultation's slug."),
        click.option("--format", "file_format", type=click.Choice(["csv", "xlsx", "json", "ndjson"]), default="csv"),
        click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True), help="File to write."),
        click.option("--include-late", is_flag=True, help="Include late responses (left out by default)."),
        click.option("--borough", default=None, help="Only this borough (GSS code)."),
        click.option("--station", default=None, help="Only this station (slug)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _write_export(table, file_format: str, output: str, unit: str) -> None:
    from tqdm import tqdm

    from consultation.reporting.service import write_file

    with tqdm(total=table.count(), unit=unit, desc=f"Exporting {table.name}", file=sys.stderr) as progress:
        write_file(table, file_format, output, on_rows=progress.update)
    click.echo(f"Wrote {output}")


@export_group.command("responses")
@_export_options
@click.option("--include-withdrawn", is_flag=True, help="Include withdrawn responses.")
def export_responses_command(slug, file_format, output, include_late, borough, station, include_withdrawn):
    """Export one row per response, without personal data."""
    from consultation.catalog.service import get_consultation
    from consultation.reporting.service import response_export

    try:
        table = response_export(
            db.session,
            get_consultation(db.session, slug),
            include_late=include_late,
            include_withdrawn=include_withdrawn,
            borough_code=borough,
            station_slug=station,
        )
    except ApiError as error:
        _fail(error)
    _write_export(table, file_format, output, "responses")


@export_group.command("aggregates")
@_export_options
@click.option("--group-by", type=click.Choice(["borough", "station"]), default="borough")
@click.option("--campaigns", type=click.Choice(["each", "once"]), default="each", help="How campaigns are counted.")
def export_aggregates_command(slug, file_format, output, include_late, borough, station, group_by, campaigns):
    """Export the aggregates by borough or station."""
    from consultation.catalog.service import get_consultation
    from consultation.reporting.service import aggregates_export

    try:
        table = aggregates_export(
            db.session,
            get_consultation(db.session, slug),
            group_by=group_by,
            include_late=include_late,
            campaigns=campaigns,
            borough_code=borough,
            station_slug=station,
        )
    except ApiError as error:
        _fail(error)
    _write_export(table, file_format, output, "groups")


@click.command("import-responses")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--consultation", "slug", required=True, help="The consultation's slug, e.g. public-access-2017.")
@click.option("--mode", type=click.Choice(IMPORT_MODES), default="all_or_nothing", show_default=True)
@click.option("--allow-duplicate-file", is_flag=True, help="Import a file whose content was imported before.")
def import_responses_command(file, slug, mode, allow_duplicate_file):
    """Import paper and email responses from a CSV or XLSX file, reporting every bad row."""
    bars: dict = {}

    def progress(phase: str, done: int, total: int) -> None:
        bar = bars.get(phase)
        if bar is None:
            for finished in bars.values():
                finished.close()
            bar = bars[phase] = tqdm(total=total, desc=phase.capitalize(), unit="row", file=sys.stderr)
        bar.update(done - bar.n)

    path = Path(file)
    try:
        report = import_responses(
            db.session,
            None,
            slug=slug,
            filename=path.name,
            content=path.read_bytes(),
            mode=mode,
            progress=progress,
            allow_duplicate_file=allow_duplicate_file,
        )
    except ApiError as error:
        db.session.rollback()
        for bar in bars.values():
            bar.close()
        if error.code == "duplicate_file":
            raise click.ClickException(f"{error.message} Add --allow-duplicate-file to import it again.") from None
        if isinstance(error, ImportRejected):
            for problem in error.report.problems:
                click.echo(f"row {problem['row']}, {problem['field']}: {problem['message']}", err=True)
            raise click.ClickException(error.message) from None
        _fail(error)
    for bar in bars.values():
        bar.close()
    for problem in report.problems:
        click.echo(f"row {problem['row']}, {problem['field']}: {problem['message']} (skipped)", err=True)
    click.echo(
        f"Imported {report.imported} of {counted(report.rows_total, 'row')} into {slug} "
        f"({report.late} received late, {report.rows_invalid} skipped)."
    )


@click.command("purge-idempotency-keys")
@click.option("--older-than-days", type=click.IntRange(min=1), default=30, show_default=True)
def purge_idempotency_keys_command(older_than_days):
    """Forget stored Idempotency-Key results older than N days (run it daily, e.g. from cron)."""
    removed = purge_expired(db.session, timedelta(days=older_than_days))
    click.echo(f"Removed {counted(removed, 'idempotency key')} older than {counted(older_than_days, 'day')}.")


def _say_refusals(command: click.Command) -> None:
    """An expected refusal (an ApiError: a busy analysis, a closed consultation, a missing object) is printed as its
    sentence with exit status 1, never as a traceback. Wrapped once, however many apps register the commands."""
    for sub in getattr(command, "commands", {}).values():
        _say_refusals(sub)
    callback = command.callback
    if callback is None or getattr(callback, "says_refusals", False):
        return

    @functools.wraps(callback)
    def run(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except ApiError as refusal:
            raise click.ClickException(refusal.message) from None

    run.says_refusals = True
    command.callback = run


def register_commands(app: Flask) -> None:
    for command in (
        seed_demo_command,
        create_token_command,
        import_responses_command,
        purge_idempotency_keys_command,
        export_group,
        *ACCOUNT_COMMANDS,
        *ANALYSIS_COMMANDS,
        *PETITION_COMMANDS,
        *SUBMISSION_COMMANDS,
        *MAIL_COMMANDS,
        *REPORTING_COMMANDS,
    ):
        _say_refusals(command)
        app.cli.add_command(command)
