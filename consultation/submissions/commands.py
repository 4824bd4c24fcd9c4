"""`flask render-submission ID -o FILE.pdf`: render a submission from the command line, with progress."""

import sys
from pathlib import Path

import click
from tqdm import tqdm

from consultation.common import counted
from consultation.extensions import db
from consultation.submissions import service
from consultation.submissions.models import Submission

STEPS = ("gathering figures", "laying out pages", "writing", "saving")


@click.command("render-submission")
@click.argument("submission_id", type=int)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True), help="PDF to write.")
def render_submission_command(submission_id, output):
    """Render a submission to a PDF file (recorded as a render job, like the API's)."""
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        raise click.ClickException(f"No submission {submission_id}.")
    job = service.request_render(db.session, None, submission)
    with tqdm(total=len(STEPS), desc="Rendering", unit="step", file=sys.stderr) as bar:

        def progress(step: str) -> None:
            bar.set_description(step.capitalize())
            bar.update(1)

        job = service.run_render(db.session, job.id, progress=progress)
        bar.set_description("Saving")
        bar.update(bar.total - bar.n)
    if job.status != "done":
        raise click.ClickException(job.error or "The render failed.")
    path = Path(output)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(job.pdf)
    partial.replace(path)  # a reader never sees a half-written file
    click.echo(f"Wrote {path} ({counted(job.pages, 'page')}, {counted(len(job.pdf), 'byte')}, SHA-256 {job.sha256})")


COMMANDS = (render_submission_command,)
