"""Small pieces shared by every room: the UTC column type, the UTC schema fields, the naming convention, counts
in words, the modes of a file import and the hash of a secret token."""

import hashlib
from datetime import datetime

import marshmallow as ma
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from consultation.clock import OutOfRange, as_utc, iso_utc, supported_instant

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC and always gives back aware UTC, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC times only")
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        return None if value is None else as_utc(value)


class InstantField(ma.fields.AwareDateTime):
    """An ISO-8601 date-time with a UTC offset, loaded as aware UTC within the range the service can represent."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return supported_instant(moment)
        except OutOfRange as error:
            raise ma.ValidationError(str(error)) from None


class UtcDateTime(ma.fields.Field):
    """An aware datetime dumped as UTC ISO-8601 ('...Z'); None stays None."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else iso_utc(value)


def utc() -> ma.fields.Field:
    """A dump-only UTC date-time field, documented as a nullable date-time string."""
    return UtcDateTime(dump_only=True, metadata={"type": "string", "format": "date-time", "nullable": True})


def counted(number: int, singular: str, plural: str | None = None) -> str:
    """A count with its noun in the right form: '1 response', '2,000 responses', '1 person', '3 people'.

    Every page, PDF and command says counts through this (in templates, the `counted` filter), so none says
    "1 responses"."""
    noun = singular if number == 1 else (plural or f"{singular}s")
    return f"{number:,} {noun}"


def schema_object_filter(dialect_name: str):
    """Alembic's include_object for one database: skips schema objects declared for other dialects only
    (`info={"dialects": (...)}` beside their `ddl_if`), which alembic's comparison would otherwise report missing."""

    def include_object(schema_object, name, type_, reflected, compare_to) -> bool:
        dialects = getattr(schema_object, "info", {}).get("dialects")
        return dialects is None or dialect_name in dialects

    return include_object


# How a file import treats its bad rows: refuse the whole file, or store the valid rows and report the rest
# (response imports and petition pack uploads alike).
IMPORT_MODES = ("all_or_nothing", "valid_only")


def token_hash(token: str) -> str:
    """The stored form of a secret token (API tokens, edit tokens, confirmation and sign-in links). Each carries
    at least 256 random bits, so a fast hash is enough: there is nothing to brute-force."""
    return hashlib.sha256(token.encode()).hexdigest()
