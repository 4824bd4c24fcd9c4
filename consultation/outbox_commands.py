"""`flask mail status` and `flask mail retry`: what the mail outbox holds, and sending again what failed."""

import click

from consultation import outbox
from consultation.clock import now
from consultation.extensions import db
from consultation.mail import current_settings


@click.group("mail")
def mail_group():
    """The mail outbox: see what failed, send it again."""


@mail_group.command("status")
def status_command():
    """Count the outbox's messages by status and list those that failed or wait to be tried again."""
    report = outbox.outbox_status(db.session)
    counts = report["counts"]
    click.echo(f"Outbox: {counts['queued']} queued, {counts['sent']} sent, {counts['failed']} failed.")
    for item in report["problems"]:
        when = f", next try {item['next_attempt_at']:%Y-%m-%d %H:%M} UTC" if item["next_attempt_at"] else ""
        click.echo(f"  message {item['id']}: {item['status']} after {item['attempts']} attempts{when}")
        click.echo(f"    {item['last_error']}")
    if counts["failed"]:
        click.echo("Send the failed ones again with: flask --app app mail retry")


@mail_group.command("retry")
@click.option("--id", "message_ids", type=int, multiple=True, help="Only this message (repeatable).")
def retry_command(message_ids):
    """Put failed messages back in the queue and send everything that is due now."""
    at = now()
    requeued = outbox.requeue_failed(db.session, at, list(message_ids) or None)
    outcomes = outbox.deliver_due(db.session, current_settings(), at)
    sent, waiting, failed = outcomes.get("sent", 0), outcomes.get("queued", 0), outcomes.get("failed", 0)
    click.echo(f"Requeued {requeued} failed messages; sent {sent}, {waiting} failed again and wait, {failed} gave up.")


COMMANDS = (mail_group,)
