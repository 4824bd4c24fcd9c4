"""What the catalog announces to the rooms above it, as blinker signals (the catalog cannot import those rooms).

create_app() connects the receivers explicitly; importing a room connects nothing. Every receiver is called as
`receiver(consultation, session=session)`, inside the transaction that makes the change.
"""

from blinker import Namespace

catalog_signals = Namespace()

structure_change_requested = catalog_signals.signal(
    "structure-change-requested",
    doc="A consultation's questions or stations are about to be replaced; a receiver returns a reason to refuse.",
)
deadline_moved = catalog_signals.signal(
    "deadline-moved",
    doc="A consultation's closes_at changed (flushed, not committed): what depends on the deadline follows it.",
)
