"""`flask petitions ...`: import signatures from another petition site, print a petition's totals."""

import sys
from pathlib import Path

import click
from tqdm import tqdm

from consultation.common import counted
from consultation.errors import ApiError
from consultation.extensions import db
from consultation.petitions import packs, service


def _fail(error: ApiError) -> None:
    details = "; ".join(f"{field}: {' '.join(map(str, messages))}" for field, messages in error.errors.items())
    raise click.ClickException(f"{error.message} {details}".strip())


LABELS = (
    ("confirmed_online", "confirmed online"),
    ("imported", "imported, not confirmed by us"),
    ("paper_keyed_in", "paper, keyed in"),
    ("paper_not_checked", "paper, counted, not checked"),
    ("pending_online", "not counted: pending online"),
    ("flagged", "not counted: flagged"),
    ("invalidated", "not counted: invalidated"),
    ("late_paper", "not counted: late paper"),
    ("set_aside_paper", "not counted: paper set aside"),
)


@click.group("petitions")
def petitions_group():
    """Petitions: import signatures, print totals."""


@petitions_group.command("import-signatures")
@click.argument("petition_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--mode", type=click.Choice(packs.MODES), default=packs.MODES[0], show_default=True)
def import_signatures_command(petition_id, file, mode):
    """Import a CSV or XLSX of signatures from another petition site (name, email, postcode, signed_at)."""
    path = Path(file)
    with tqdm(total=3, desc="Importing", unit="step", file=sys.stderr) as progress:
        content = path.read_bytes()
        progress.update(1)
        try:
            report = packs.import_signatures(
                db.session, None, petition_id, filename=path.name, content=content, mode=mode
            )
        except ApiError as error:
            db.session.rollback()
            if isinstance(error, packs.RowsRejected):
                for problem in error.report.problems:
                    click.echo(f"row {problem['row']}, {problem['field']}: {problem['message']}", err=True)
                raise click.ClickException(error.message) from None
            _fail(error)
        progress.update(2)
    for problem in report.problems:
        click.echo(f"row {problem['row']}, {problem['field']}: {problem['message']} (skipped)", err=True)
    click.echo(
        f"Imported {report.imported} of {counted(report.rows_total, 'row')} into petition {petition_id} "
        f"({report.flagged} flagged as the same person, {counted(report.skipped_existing, 'email')} already present, "
        f"{counted(report.rows_invalid, 'row')} with problems)."
    )


@petitions_group.command("totals")
@click.argument("petition_id", type=int)
def totals_command(petition_id):
    """Print a petition's totals by channel, borough and station."""
    try:
        petition = service.get_petition(db.session, petition_id)
        with tqdm(total=1, desc="Counting", unit="petition", file=sys.stderr) as progress:
            totals = service.petition_totals(db.session, petition_id)
            progress.update(1)
    except ApiError as error:
        _fail(error)
    click.echo(f"{petition.title} (petition {petition.id})")
    click.echo(f"  {'total':<34} {totals['total']:>8,}")
    for key, label in LABELS:
        click.echo(f"  {label:<34} {totals[key]:>8,}")
    click.echo("By borough:")
    for row in totals["by_borough"]:
        click.echo(f"  {row['name']:<40} {row['total']:>8,}")
    click.echo(f"As of {totals['as_of'].isoformat()}")


COMMANDS = (petitions_group,)
