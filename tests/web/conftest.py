"""Fixtures for the resident pages: an HTML inspector and a second app on its own SQLite file.

The second app is for what the session app cannot do: CSRF and rate limits switched on, and a database that a
browser's server thread and the test thread can share (an in-memory database is one connection per thread).
"""

import re
from html.parser import HTMLParser

import pytest
from flask_migrate import upgrade

from consultation import create_app
from consultation.catalog.demo import seed_demo
from consultation.extensions import db


class Page(HTMLParser):
    """The elements of a page, each as (tag, attributes), plus its visible text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.html = html
        self.elements: list[tuple[str, dict]] = []
        self.text_parts: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: (value if value is not None else "") for name, value in attrs}))

    def handle_data(self, data):
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.text_parts))

    def find_all(self, tag: str, **attributes) -> list[dict]:
        return [
            attrs
            for name, attrs in self.elements
            if name == tag and all(attrs.get(key.rstrip("_")) == value for key, value in attributes.items())
        ]

    def by_id(self, element_id: str) -> tuple[str, dict] | None:
        return next(((name, attrs) for name, attrs in self.elements if attrs.get("id") == element_id), None)


@pytest.fixture
def page():
    return Page


@pytest.fixture
def file_app(tmp_path):
    """file_app(**config) -> an app with the demo seeded in its own SQLite file."""
    apps = []

    def build(**overrides):
        config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / f'web-{len(apps)}.db'}", **overrides}
        app = create_app("testing", config)
        with app.app_context():
            upgrade()
            seed_demo(db.session)
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
