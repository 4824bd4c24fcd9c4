"""Which signatures to flag for review rather than count: another that already counts is from the same
mailbox, or has the same or a close name at the same postcode (see identity.py for what "same" and "close"
mean). Flagged signatures are kept, shown as flagged, and a reviewer then counts them or not (signers.py).

`resemblance` says the same of two signatures, for the review that shows each flagged signature beside the
ones it resembles.

One rule for every way a signature arrives: confirming online (against the counted signatures of that mailbox
and postcode), keying in a pack and importing a file (against all the petition's counted signatures, loaded
once). Callers take the petition's row lock first, so two arrivals of one person cannot both count.
"""

from collections import defaultdict

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from consultation.petitions import identity
from consultation.petitions.models import Signature
from consultation.petitions.totals import counting_rows

SAME_MAILBOX = "Same mailbox (an address differing only by a '+' tag) as a signature already counted"
SAME_PERSON = "Same name and postcode as a signature already counted"
CLOSE_NAME = "A name close to one already counted at the same postcode"


class CountedPeople:
    """The counted signatures' mailboxes, and their names by postcode, to check arrivals against."""

    def __init__(self) -> None:
        self.mailboxes: set[str] = set()
        self.names: defaultdict[str, set[str]] = defaultdict(set)

    @classmethod
    def load(
        cls,
        session: Session,
        petition_id: int,
        *,
        postcode: str | None = None,
        mailbox_key: str | None = None,
        besides: int | None = None,
    ) -> "CountedPeople":
        """All the petition's counted signatures, or only those at a postcode or from a mailbox (not `besides`)."""
        query = select(Signature.name, Signature.postcode, Signature.mailbox_key).where(*counting_rows(petition_id))
        if postcode is not None:
            query = query.where(
                or_(Signature.postcode == postcode, Signature.mailbox_key == mailbox_key)
                if mailbox_key
                else Signature.postcode == postcode
            )
        if besides is not None:
            query = query.where(Signature.id != besides)
        people = cls()
        for name, place, mailbox in session.execute(query):
            people.add(name, place, mailbox)
        return people

    def add(self, name: str, postcode: str, mailbox_key: str | None) -> None:
        if mailbox_key:
            self.mailboxes.add(mailbox_key)
        self.names[postcode].add(identity.normalise_name(name))

    def reason(self, name: str, postcode: str, mailbox_key: str | None) -> str | None:
        """Why an arrival should be flagged for review, or None when it counts."""
        if mailbox_key and mailbox_key in self.mailboxes:
            return SAME_MAILBOX
        known = self.names.get(postcode, ())
        normalised = identity.normalise_name(name)
        if normalised in known:
            return SAME_PERSON
        if any(identity.close_normalised(normalised, other) for other in known):
            return CLOSE_NAME
        return None


def resemblance(first: Signature, second: Signature) -> str | None:
    """How two signatures may be one person, by the rules above: "same_mailbox", "same_name" (the same name at
    the same postcode) or "close_name" (a close name at the same postcode); None when they are not alike."""
    if first.mailbox_key and first.mailbox_key == second.mailbox_key:
        return "same_mailbox"
    if first.postcode != second.postcode:
        return None
    one, other = identity.normalise_name(first.name), identity.normalise_name(second.name)
    if one == other:
        return "same_name"
    return "close_name" if identity.close_normalised(one, other) else None
