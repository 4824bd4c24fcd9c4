"""The README's commands work as pasted in a fresh clone: every `flask` command is `.venv/bin/flask --app app ...`
and parses against the app's own commands (options, arguments and the files it reads), files the commands write go
to the git-ignored `scratch/` folder, `make run` takes a port, and the reviewer examples name the demo consultation
and its real theme keys."""

import json
import re
import shlex
import subprocess
from pathlib import Path

import click
import pytest
from flask.cli import FlaskGroup, ScriptInfo

from consultation.analysis.demo import THEMES
from consultation.catalog.demo import DEMO_SLUG
from consultation.intake.models import CHANNELS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
FLASK = ".venv/bin/flask --app app "
# Where a command's words end inside a longer shell line.
COMMAND_END = re.compile(r"\s+#|\s*(?:\||\)|;|&&|`|\s>\s)")


def _fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced code block, in order."""
    blocks, language, body = [], None, []
    for line in text.splitlines():
        if line.startswith("```"):
            if language is None:
                language, body = line[3:].strip(), []
            else:
                blocks.append((language, "\n".join(body) + "\n"))
                language = None
        elif language is not None:
            body.append(line)
    return blocks


SHELL_BLOCKS = [body for language, body in _fenced_blocks(README) if language in ("", "sh", "bash")]
PROSE = re.sub(r"^```.*?^```", "", README, flags=re.S | re.M)
INLINE_CODE = re.findall(r"(?<!`)`([^`\n]+)`(?!`)", PROSE)


def _shell_lines(block: str) -> list[str]:
    return block.replace("\\\n", " ").splitlines()


def _expand(text: str, variables: dict[str, str]) -> str:
    """Shell variables set in the same block keep their value; any other (a token, an id) becomes 1."""
    return re.sub(r"\$\{?(\w+)\}?", lambda match: variables.get(match.group(1), "1"), text)


def readme_flask_commands() -> list[tuple[str, list[str]]]:
    """(the line as written, its arguments after `flask --app app`) for every flask command in the README."""
    commands = []
    for block in [*SHELL_BLOCKS, *INLINE_CODE]:
        variables = dict(re.findall(r"^(\w+)=([\w./-]+)(?:\s|$)", block, re.M))
        for line in _shell_lines(block):
            for start in [match.start() for match in re.finditer(re.escape(FLASK), line)]:
                rest = line[start + len(FLASK) :]
                words = COMMAND_END.split(rest, maxsplit=1)[0]
                commands.append((line.strip(), shlex.split(_expand(words, variables))))
    return commands


def bare_flask_lines() -> list[str]:
    lines = [line for block in [*SHELL_BLOCKS, *INLINE_CODE] for line in _shell_lines(block)]
    return [line for line in lines if re.search(r"(?<![\w/.-])flask\s", line)]


def test_every_flask_command_is_the_virtualenvs_with_the_app_named():
    assert bare_flask_lines() == []
    assert len(readme_flask_commands()) > 20


def _parse(app, args: list[str]) -> click.Command:
    """Parse as `flask` would, without running the command: unknown commands or options, missing arguments and
    missing input files fail here."""
    group = FlaskGroup(create_app=lambda: app)
    context = group.make_context("flask", list(args), obj=ScriptInfo(create_app=lambda: app))
    command: click.Command = group
    while isinstance(command, click.Group):
        name, command, rest = command.resolve_command(context, [*context._protected_args, *context.args])
        context = command.make_context(name, rest, parent=context)
    return command


@pytest.mark.parametrize(("line", "args"), readme_flask_commands(), ids=lambda value: str(value)[:60])
def test_every_flask_command_in_the_readme_parses_as_pasted(app, monkeypatch, tmp_path, line, args):
    # A stand-in for the checkout: its docs, and the files the README's earlier lines write (read by later ones).
    (tmp_path / "docs").symlink_to(ROOT / "docs")
    (tmp_path / "scratch").mkdir()
    for path in readme_written_files():
        (tmp_path / path).write_text("")
    monkeypatch.chdir(tmp_path)
    try:
        _parse(app, args)
    except click.ClickException as error:
        pytest.fail(f"{line!r}: {error.format_message()}")


def readme_written_files() -> list[str]:
    written = []
    commands = [code for code in INLINE_CODE if FLASK in code or code.startswith(("curl", "printf"))]
    for block in [*SHELL_BLOCKS, *commands]:
        for line in _shell_lines(block):
            written += re.findall(r"(?:\s-o|--output|[^2>]>|openapi write)\s+([\w./-]+)", line)
            assert not re.search(r"\s-\w*O", line), f"curl -O writes into the current folder: {line}"
    return written


def test_files_the_readme_commands_write_land_in_the_ignored_scratch_folder():
    written = readme_written_files()
    assert len(written) >= 8
    assert [path for path in written if not path.startswith("scratch/")] == []
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", *written], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.split()
    assert sorted(set(ignored)) == sorted(set(written))
    assert (ROOT / "scratch" / ".gitignore").exists()  # the folder is there in a fresh clone


def test_make_run_serves_on_the_port_given():
    dry_run = subprocess.run(["make", "-n", "run", "PORT=8000"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert ".venv/bin/flask run --host 127.0.0.1 --port 8000" in dry_run.stdout
    default = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert ".venv/bin/flask run --host 127.0.0.1 --port 5000" in default.stdout


def test_reviewer_examples_use_the_demo_consultation_and_its_theme_keys():
    code = "\n".join(SHELL_BLOCKS)
    slugs = set(re.findall(r"/consultations/([a-z0-9-]+)/", code)) | set(re.findall(r"--consultation (\S+)", code))
    assert slugs == {DEMO_SLUG}
    keys = {theme[0] for theme in THEMES}
    named = set(re.findall(r"theme=(\w+)", code))
    for themes in re.findall(r'"themes": \[([^\]]*)\]', code):
        named |= set(re.findall(r'"(\w+)"', themes))
    assert named and named <= keys


def test_the_readme_lists_every_channel_the_aggregates_count():
    listed = re.search(r"`channels` \(([^)]*)\)", README).group(1)
    assert set(re.findall(r"`(\w+)`", listed)) == set(CHANNELS)


def test_evaluate_analysis_runs_on_the_sample_the_readme_points_at(runner, monkeypatch):
    monkeypatch.chdir(ROOT)
    samples = "docs/samples"
    result = runner.invoke(
        args=[
            "evaluate-analysis",
            "--test",
            f"{samples}/labelled_sample.jsonl",
            "--train",
            f"{samples}/labelled_sample_train.jsonl",
            "--codebook",
            f"{samples}/codebook.json",
            "--no-model",
        ]
    )
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert scores["n_test"] == 48 and scores["n_train"] == 24
    assert set(scores["per_theme_f1"]) == set(json.loads((ROOT / samples / "codebook.json").read_text())["themes"])
    assert 0 <= scores["theme_micro_f1"] <= 1 and 0 <= scores["stance_macro_f1"] <= 1
