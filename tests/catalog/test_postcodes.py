"""The offline ONS Postcode Directory lookup: normalising, finding the borough, sectors and their centroids."""

import pytest

from consultation.catalog import postcodes


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("rm10 7tu", "RM10 7TU"), (" RM107TU ", "RM10 7TU"), ("sw1a1aa", "SW1A 1AA"), ("e1  6an", "E1 6AN")],
)
def test_postcodes_are_normalised_however_they_are_typed(typed, expected):
    assert postcodes.normalise_postcode(typed) == expected


@pytest.mark.parametrize("typed", ["", "12345", "RM10", "QQ1 1AA", "RM10 7TUX", None, 42])
def test_text_that_cannot_be_a_postcode_normalises_to_none(typed):
    assert postcodes.normalise_postcode(typed) is None


def test_a_known_postcode_gives_its_local_authority_sector_and_grid_reference():
    info = postcodes.lookup("RM10 7TU")
    assert info.postcode == "RM10 7TU"
    assert info.sector == "RM10 7"
    assert info.gss_code == "E09000002"  # Barking and Dagenham
    assert 540_000 < info.easting < 560_000
    assert 180_000 < info.northing < 190_000


def test_postcodes_outside_london_have_their_own_authority():
    assert postcodes.lookup("CM1 1AA").gss_code.startswith("E07")


def test_an_unknown_postcode_of_the_right_shape_is_not_found():
    assert postcodes.lookup("RM10 9ZZ") is None
    assert postcodes.lookup("not one") is None


def test_a_sector_location_is_the_centroid_of_its_postcodes():
    easting, northing = postcodes.sector_location("RM10 7")
    member = postcodes.lookup("RM10 7TU")
    assert abs(easting - member.easting) < 3_000
    assert abs(northing - member.northing) < 3_000
    assert postcodes.sector_location("rm10  7") == (easting, northing)
    assert postcodes.sector_location("RM10 0") is None or postcodes.sector_location("RM10 0")[0] > 0
    assert postcodes.sector_location("nonsense") is None


def test_an_outward_code_lists_its_postcodes():
    found = postcodes.postcodes_in("RM10")
    assert "RM10 7TU" in found
    assert all(code.startswith("RM10 ") for code in found)


@pytest.mark.parametrize(("typed", "expected"), [("rm10", "RM10"), (" SW1A ", "SW1A"), ("e1w", "E1W"), ("N1", "N1")])
def test_postcode_districts_are_normalised(typed, expected):
    assert postcodes.normalise_district(typed) == expected


@pytest.mark.parametrize("typed", ["XYZ", "RM10 7TU", "10RM", "QQ1", "", None, 42])
def test_text_that_cannot_be_a_postcode_district_normalises_to_none(typed):
    assert postcodes.normalise_district(typed) is None
