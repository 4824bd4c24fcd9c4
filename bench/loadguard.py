"""The load guard every benchmark here runs under: figures taken on a busy machine must not pass for real ones.

Each command prints the load average when it starts and when it ends. When the one-minute load was over
MAX_QUIET_LOAD at the start, a ratio is withheld (other work on two cores slows both sides by different amounts,
so the ratio says nothing about the code); `--force` prints it anyway, marked "loaded".

    guard = loadguard.start(arguments)      # after argparse, with loadguard.add_arguments(parser) before it
    print(f"ratio: {guard.ratio(ours / floor)}")
    guard.finish()
"""

from __future__ import annotations

import argparse
import os

MAX_QUIET_LOAD = 1.0


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def describe(load: tuple[float, float, float]) -> str:
    return " ".join(f"{value:.2f}" for value in load)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--force",
        action="store_true",
        help=f"Print ratios even when the one-minute load was over {MAX_QUIET_LOAD} at the start (marked 'loaded').",
    )


class LoadGuard:
    def __init__(self, force: bool, load: tuple[float, float, float]):
        self.force = force
        self.started = load
        self.quiet = load[0] <= MAX_QUIET_LOAD

    def ratio(self, value: float, spec: str = ".2f", unit: str = "") -> str:
        """The ratio as text (with its unit, e.g. "x"); withheld, or marked 'loaded' under --force, when the machine
        was busy at the start."""
        if self.quiet:
            return format(value, spec) + unit
        if self.force:
            return f"{format(value, spec)}{unit} loaded"
        return "withheld"

    def verdict(self, what: str, seconds: float, target_seconds: float) -> None:
        """A line judging a time against its target; not judged when the machine was busy at the start."""
        verdict = "PASS" if seconds <= target_seconds else "FAIL"
        if not self.quiet:
            verdict = "not judged (loaded machine)"
        print(f"{what}: {seconds * 1000:.0f} ms -> {verdict} (target: under {target_seconds * 1000:.0f} ms)")

    def finish(self) -> None:
        print(f"load average after: {describe(load_average())}", flush=True)


def start(arguments: argparse.Namespace) -> LoadGuard:
    """Print the load average now and return the guard that words every ratio of this run."""
    load = load_average()
    guard = LoadGuard(bool(getattr(arguments, "force", False)), load)
    if guard.quiet:
        state = "quiet enough for ratios"
    elif guard.force:
        state = f"LOADED (over {MAX_QUIET_LOAD}): ratios printed under --force, marked 'loaded'"
    else:
        state = f"LOADED (over {MAX_QUIET_LOAD}): every ratio is withheld; --force prints them, marked 'loaded'"
    print(f"load average before: {describe(load)} ({state})", flush=True)
    return guard
