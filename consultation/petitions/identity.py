"""Who a signer is, for counting each person once: one checked email address, and keys derived from it and
from the name, hashed.

- The address is parsed by `email-validator`: exactly one address (a comma list would reach every address in
  it), syntax only, no network look-up.
- One signature per address (`email_key`): case never matters to a mailbox in practice; Gmail (and its old name,
  Googlemail) also ignores dots in the local part and anything after a '+'.
- One mailbox (`mailbox_key`): sub-addressing (`name+tag@domain`) is standard across providers, so the '+tag'
  is dropped for every domain. Signatures that share a mailbox under different addresses are allowed in, and
  all but the first that counts are flagged for review: a few providers deliver '+' addresses elsewhere.
- Names are compared after Unicode NFKC, case folding and a confusables skeleton (each letter from another
  script that looks like a Latin one becomes that letter, from the Unicode confusables data shipped by the
  `confusable-homoglyphs` package), with accents, punctuation and spacing dropped: "Dup Pеrson" with a
  Cyrillic 'е' reads as "dup person".
- `person_key` joins that name with the postcode (the same person at the same address); `close_names` finds
  near-misses at one postcode ("Dup Persson", "D. Person") for review.
"""

import hashlib
import re
import unicodedata
from functools import lru_cache

from confusable_homoglyphs import categories, confusables
from email_validator import EmailNotValidError, validate_email

from consultation.catalog.postcodes import normalise_postcode

DOT_BLIND_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}
BAD_EMAIL = "Enter one email address in the correct format, like name@example.com."


def check_email(email: str) -> str | None:
    """The address as typed (trimmed) when it is exactly one valid address, else None."""
    email = (email or "").strip()
    if not email or len(email) > 320:
        return None
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return None
    return email


def valid_email(email: str) -> bool:
    return check_email(email) is not None


def normalise_email(email: str) -> str:
    """'John.Smith+petition@GoogleMail.com' -> 'johnsmith@gmail.com'."""
    local, _, domain = email.strip().lower().rpartition("@")
    domain = domain.rstrip(".")
    if domain in DOT_BLIND_DOMAINS:
        local = local.split("+", 1)[0].replace(".", "")
        domain = DOT_BLIND_DOMAINS[domain]
    return f"{local}@{domain}"


def mailbox(email: str) -> str:
    """'DupPerson+3@Outlook.com' -> 'dupperson@outlook.com': the mailbox behind any sub-address."""
    local, _, domain = normalise_email(email).rpartition("@")
    return f"{local.split('+', 1)[0] or local}@{domain}"


@lru_cache(maxsize=4096)
def _latin_lookalike(char: str) -> str:
    """The Latin letters a character from another script is confusable with, or the character itself."""
    if categories.alias(char) in ("LATIN", "COMMON"):
        return char
    found = confusables.is_confusable(char, greedy=True, preferred_aliases=["latin"])
    for candidate in found[0]["homoglyphs"] if found else ():
        if all(categories.alias(glyph) == "LATIN" for glyph in candidate["c"]):
            return candidate["c"].casefold()
    return char


def normalise_name(name: str) -> str:
    """'  Anne-Marie  O’Neil ' -> 'anne marie oneil'; 'Dup Pеrson' (Cyrillic е) -> 'dup person'."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    skeleton = "".join(_latin_lookalike(char) for char in folded)
    decomposed = unicodedata.normalize("NFKD", skeleton)
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    letters = re.sub(r"['’`]", "", letters)
    return " ".join(re.sub(r"[^\w]+", " ", letters).split())


def _within_one_edit(first: str, second: str) -> bool:
    """True when one letter added, dropped or changed turns one word into the other."""
    if abs(len(first) - len(second)) > 1:
        return False
    if len(first) > len(second):
        first, second = second, first
    for index, (left, right) in enumerate(zip(first, second, strict=False)):
        if left != right:
            rest = index + 1
            return first[index if len(first) < len(second) else rest :] == second[rest:]
    return True


def _close_word(first: str, second: str) -> bool:
    if first == second:
        return True
    if len(first) == 1 or len(second) == 1:  # an initial stands for any word it begins
        return first[0] == second[0]
    return min(len(first), len(second)) >= 4 and _within_one_edit(first, second)


def close_names(first: str, second: str) -> bool:
    """Names that may be one person: after normalising, the same last word give or take one letter, and the
    first word the same, an initial of it, or one letter off ("Dup Persson", "Dup Pеrson", "D. Person")."""
    return close_normalised(normalise_name(first), normalise_name(second))


def close_normalised(first: str, second: str) -> bool:
    """`close_names` for names already normalised."""
    a, b = first.split(), second.split()
    if not a or not b:
        return False
    if len(a) == 1 or len(b) == 1:
        return " ".join(a) == " ".join(b)
    return _close_word(a[-1], b[-1]) and len(a[-1]) > 1 and len(b[-1]) > 1 and _close_word(a[0], b[0])


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def email_key(email: str) -> str:
    return _digest("email\n" + normalise_email(email))


def mailbox_key(email: str) -> str:
    return _digest("mailbox\n" + mailbox(email))


def person_key(name: str, postcode: str) -> str:
    return _digest(f"person\n{normalise_name(name)}\n{(normalise_postcode(postcode) or postcode).replace(' ', '')}")
