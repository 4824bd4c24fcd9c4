"""What intake announces after it has committed new or changed responses.

Intake sits below analysis, so it cannot call it; analysis registers a listener here in create_app() (it
notes the ids for its background thread, which codes them or sends them to a Celery worker). Listeners run
after the commit, so a failing listener never loses a response, and a lost notice is not lost work either:
analysis's periodic sweep codes every response that has no analysis (analysis/background.py).
"""

import logging
from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)

ResponsesListener = Callable[[list[int]], None]
_listeners: list[ResponsesListener] = []


def on_responses_changed(listener: ResponsesListener) -> ResponsesListener:
    """Register a listener; usable as a decorator. Registering twice is harmless."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def responses_changed(response_ids: Iterable[int]) -> None:
    """Call after commit with the ids of responses that were created, amended or withdrawn."""
    ids = list(response_ids)
    if not ids:
        return
    for listener in list(_listeners):
        try:
            listener(ids)
        except Exception:  # the responses are already safe; the sweep (or `flask analyse`) codes them later
            log.exception(
                "Listener %r failed for %d responses; the analysis sweep will pick them up", listener, len(ids)
            )
