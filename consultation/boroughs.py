"""Boroughs: areas with a GSS code. On the ground floor because accounts (organiser scopes) and the catalog
(stations) both stand on them, and accounts must not import the catalog."""

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from consultation.extensions import db


class Borough(db.Model):
    __tablename__ = "boroughs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    gss_code: Mapped[str] = mapped_column(String(9), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)


def boroughs_by_code(session: Session) -> dict[str, Borough]:
    return {borough.gss_code: borough for borough in session.scalars(select(Borough))}


def find_borough(session: Session, gss_code: str) -> Borough | None:
    return session.scalar(select(Borough).where(Borough.gss_code == gss_code))
