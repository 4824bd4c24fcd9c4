"""Who a signer is, for counting each person once: normalised emails and names, hashed into keys.

Email: case never matters to a mailbox in practice; Gmail (and its old name, Googlemail) also ignores dots
in the local part and anything after a '+'. Other providers may treat those as different mailboxes, so
they are left alone there. Name: case, accents, punctuation and spacing are dropped ("Anne-Marie O'Neil"
and "anne marie oneil" are one person), then joined with the postcode: the same person at the same address.
"""

import hashlib
import re
import unicodedata

from consultation.catalog.postcodes import normalise_postcode

DOT_BLIND_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}
EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    """'John.Smith+petition@GoogleMail.com' -> 'johnsmith@gmail.com'."""
    local, _, domain = email.strip().lower().rpartition("@")
    domain = domain.rstrip(".")
    if domain in DOT_BLIND_DOMAINS:
        local = local.split("+", 1)[0].replace(".", "")
        domain = DOT_BLIND_DOMAINS[domain]
    return f"{local}@{domain}"


def valid_email(email: str) -> bool:
    return bool(EMAIL_SHAPE.match(email.strip())) and len(email) <= 320


def normalise_name(name: str) -> str:
    """'  Anne-Marie  O’Neil ' -> 'anne marie oneil'."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    letters = re.sub(r"['’`]", "", letters)
    return " ".join(re.sub(r"[^\w]+", " ", letters).split())


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def email_key(email: str) -> str:
    return _digest("email\n" + normalise_email(email))


def person_key(name: str, postcode: str) -> str:
    return _digest(f"person\n{normalise_name(name)}\n{(normalise_postcode(postcode) or postcode).replace(' ', '')}")
