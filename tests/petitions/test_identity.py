"""Normalising signers' emails and names so that each person counts once."""

import pytest

from consultation.petitions import identity


@pytest.mark.parametrize(
    "address",
    [
        "ada.lovelace@gmail.com",
        "AdaLovelace@Gmail.com",
        "a.d.a.lovelace+petitions@googlemail.com",
        " adalovelace@gmail.com. ",
    ],
)
def test_gmail_ignores_case_dots_and_plus_tags(address):
    assert identity.normalise_email(address) == "adalovelace@gmail.com"


def test_other_providers_only_ignore_case():
    assert identity.normalise_email("Ada.Lovelace+x@Example.ORG") == "ada.lovelace+x@example.org"
    assert identity.email_key("ada.lovelace@example.org") != identity.email_key("adalovelace@example.org")


def test_names_ignore_case_accents_punctuation_and_spacing():
    assert identity.normalise_name("  Anne-Marie  O’Néil ") == "anne marie oneil"
    assert identity.person_key("Anne-Marie O'Neil", "rm107tu") == identity.person_key("anne marie oneil", "RM10 7TU")
    assert identity.person_key("Anne Marie", "RM10 7TU") != identity.person_key("Anne Marie", "RM10 7TX")


def test_keys_are_hashes_not_the_personal_data():
    key = identity.email_key("ada@example.org")
    assert len(key) == 64 and "ada" not in key
