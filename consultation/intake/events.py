"""What intake announces after it has committed new or changed responses, as a blinker signal.

Intake sits below analysis, so it cannot call it; create_app() connects analysis's receiver to
`responses_committed` (it queues the analysis task, which codes them off the request). Receivers run after the
commit, so a failing receiver never loses a response, and a lost notice is not lost work either: analysis's
periodic sweep codes every response whose analysis never ran or is out of date.
"""

import logging
from collections.abc import Iterable

from blinker import Namespace

log = logging.getLogger(__name__)
SENDER = "intake"

intake_signals = Namespace()
responses_committed = intake_signals.signal(
    "responses-committed",
    doc="Responses were created, amended or withdrawn and committed; receivers get `response_ids` (a list).",
)


def responses_changed(response_ids: Iterable[int]) -> None:
    """Call after commit with the ids of responses that were created, amended or withdrawn.

    Each receiver is called on its own: one that fails is logged and the others still hear (blinker's `send`
    would stop at the first failure)."""
    ids = list(response_ids)
    if not ids:
        return
    for receiver in list(responses_committed.receivers_for(SENDER)):
        try:
            receiver(SENDER, response_ids=ids)
        except Exception:  # the responses are already safe; the sweep (or `flask analyse`) codes them later
            log.exception(
                "Receiver %r failed for %d responses; the analysis sweep will pick them up", receiver, len(ids)
            )
