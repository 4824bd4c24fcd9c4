"""Reporting commands, registered by consultation/cli.py: `flask check-summaries [--repair]`."""

import click

from consultation.extensions import db
from consultation.reporting.summaries import check_summaries


@click.command("check-summaries")
@click.option("--repair", is_flag=True, help="Replace the summaries with the recount when they differ.")
def check_summaries_command(repair):
    """Compare the summary tables behind the figures with a full recount of the responses (and repair them)."""
    result = check_summaries(db.session, repair=repair)
    click.echo(result.sentence())
    if not result.agrees and not result.repaired:
        raise SystemExit(1)


REPORTING_COMMANDS = (check_summaries_command,)
