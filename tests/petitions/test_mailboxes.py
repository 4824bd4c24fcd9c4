"""One mailbox, or one person at one postcode, counts once: '+tag' sub-addresses of any provider and close
names (Unicode look-alikes, a letter more, an initial) are flagged for review; one email address only."""

import pytest
from sqlalchemy import func, select

from consultation.petitions import duplicates, identity
from consultation.petitions.models import Signature
from tests.intake.conftest import assert_error
from tests.petitions.conftest import messages, totals
from tests.petitions.test_packs import register, tally, upload

CYRILLIC_E = "\u0435"


def test_one_outlook_mailbox_signing_with_plus_tags_counts_once_and_the_others_are_flagged(
    client, petition, sign, session
):
    signers = [
        ("dupperson+1@outlook.com", "Dup Persson"),
        ("dupperson+2@outlook.com", f"Dup P{CYRILLIC_E}rson"),
        ("dupperson+3@outlook.com", "D. Person"),
    ]
    results = [sign.signed_and_confirmed(petition, email=address, name=name) for address, name in signers]
    assert [result["counted"] for result in results] == [True, False, False]
    counts = totals(client, petition)
    assert (counts["confirmed_online"], counts["flagged"], counts["total"]) == (1, 2, 1)
    reasons = session.scalars(select(Signature.flag_reason).where(Signature.flagged.is_(True)))
    assert set(reasons) == {duplicates.SAME_MAILBOX}
    assert session.scalar(select(func.count(Signature.id))) == 3  # kept for review, not dropped


def test_a_plus_tag_of_any_provider_is_flagged_even_at_another_postcode(client, petition, sign):
    sign.signed_and_confirmed(petition, email="ada@example.org", name="Ada Lovelace")
    result = sign.signed_and_confirmed(petition, email="ada+petition@example.org", name="Bob", postcode="IG11 7NB")
    assert result["counted"] is False
    assert totals(client, petition)["flagged"] == 1


@pytest.mark.parametrize("name", [f"Dup P{CYRILLIC_E}rson", "Dup Persson", "D. Person", "DUP  PERSON"])
def test_a_close_name_at_the_same_postcode_under_another_mailbox_is_flagged(client, petition, sign, session, name):
    sign.signed_and_confirmed(petition, email="dup@example.org", name="Dup Person")
    result = sign.signed_and_confirmed(petition, email="someone.else@example.net", name=name)
    assert result["counted"] is False
    [reason] = session.scalars(select(Signature.flag_reason).where(Signature.flagged.is_(True)))
    assert reason in (duplicates.CLOSE_NAME, duplicates.SAME_PERSON)


@pytest.mark.parametrize(
    ("name", "postcode"), [("Dup Person", "IG11 7NB"), ("Ada Person", "RM10 7TU"), ("Dup Parsons", "RM10 7TU")]
)
def test_another_name_or_another_postcode_counts(client, petition, sign, name, postcode):
    sign.signed_and_confirmed(petition, email="dup@example.org", name="Dup Person")
    assert sign.signed_and_confirmed(petition, email="other@example.net", name=name, postcode=postcode)["counted"]


def test_the_exact_address_rule_is_unchanged_one_row_per_address(petition, sign, session):
    for _ in range(2):
        assert sign(petition, email="dupperson+1@outlook.com").status_code == 202
    assert sign(petition, email="dupperson+2@outlook.com").status_code == 202
    assert session.scalar(select(func.count(Signature.id))) == 2


@pytest.mark.parametrize(
    "address",
    ["victim@example.org,other", "victim@example.org, other@example.org", "a@example.org;b@example.org", "a@b"],
)
def test_only_one_email_address_is_accepted(petition, sign, session, outbox, address):
    body = assert_error(sign(petition, email=address), 422, "validation_error")
    assert body["errors"]["email"] == [identity.BAD_EMAIL]
    assert session.scalar(select(func.count(Signature.id))) == 0
    assert messages(outbox) == []


def test_keyed_in_paper_with_a_look_alike_name_is_flagged(client, auth, petition, sign):
    sign.signed_and_confirmed(petition, email="dup@example.org", name="Dup Person")
    register(client, auth, petition)
    tally(client, auth, petition, counted=2)
    text = f"name,postcode\nDup P{CYRILLIC_E}rson,RM10 7TU\nCharles Babbage,IG11 7NB\n"
    report = upload(client, auth, f"/api/v1/petitions/{petition}/packs/DAG-01/signatures", text).get_json()
    assert (report["imported"], report["flagged"]) == (2, 1)
    assert totals(client, petition)["total"] == 2


def test_names_are_compared_through_nfkc_and_a_confusables_skeleton():
    assert identity.normalise_name(f"Dup P{CYRILLIC_E}rson") == "dup person"
    assert identity.normalise_name("ＤＵＰ Ｐｅｒｓｏｎ") == "dup person"  # full-width letters, by NFKC
    assert identity.normalise_name("Ρaul Ѕmith") == "paul smith"  # Greek Rho, Cyrillic Dze
    assert identity.close_names("Dup Persson", "D. Person")
    assert not identity.close_names("Ada Lovelace", "Bob Lovelace")
    assert not identity.close_names("A", "B")


def test_the_mailbox_drops_plus_tags_for_every_domain():
    assert identity.mailbox("DupPerson+3@Outlook.com") == "dupperson@outlook.com"
    assert identity.mailbox("ada.lovelace+x@googlemail.com") == "adalovelace@gmail.com"
    assert identity.mailbox_key("a+1@example.org") == identity.mailbox_key("A+2@EXAMPLE.ORG")
    assert identity.email_key("a+1@example.org") != identity.email_key("a+2@example.org")
