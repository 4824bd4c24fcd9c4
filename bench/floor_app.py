"""The stack's floor: a bare Flask + SQLAlchemy endpoint that stores one JSON body with one INSERT.

Served by gunicorn beside the real app in bench/bench_intake.py, against the same PostgreSQL, so the ratio
between them says what our rules cost over the bare stack. Nothing here validates, authenticates or queues.
bench_intake.py creates its table (FLOOR_TABLE there) before the servers start.

    DATABASE_URL=postgresql://... gunicorn -c bench/gunicorn_bench.py bench.floor_app:app
"""

import os
from datetime import UTC, datetime

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, DateTime, Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from config import _database_url


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class FloorResponse(db.Model):
    __tablename__ = "floor_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[dict] = mapped_column(JSON, nullable=False)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


def create_floor_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = _database_url(os.environ["DATABASE_URL"])
    db.init_app(app)

    @app.post("/floor/responses")
    def store():
        row = FloorResponse(body=request.get_json(), received_at=datetime.now(UTC))
        db.session.add(row)
        db.session.commit()
        return jsonify({"id": row.id}), 201

    return app


app = create_floor_app()
