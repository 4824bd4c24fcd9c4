"""The models and the Alembic revisions describe the same schema, and every revision goes down and up."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from consultation.common import schema_object_filter
from consultation.extensions import db


def _differences():
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_object": schema_object_filter(connection.dialect.name)},
        )
        return compare_metadata(context, db.metadata)


def test_models_and_migrations_agree(app):
    assert _differences() == []


def test_downgrade_to_base_and_back_to_head(app):
    downgrade(revision="base")
    with db.engine.connect() as connection:
        tables = set(db.inspect(connection).get_table_names()) - {"alembic_version"}
    assert tables == set()
    upgrade()
    assert _differences() == []


def test_the_learning_vectors_revision_drops_only_the_sentence_only_rows(app):
    """0008 deletes stored vectors of the older layout (384 numbers); those of the current one (768) stay."""
    import sqlalchemy as sa

    from consultation.clock import now

    downgrade(revision="0005_analysis")
    rows = [{"key": f"old{i}", "dimensions": 384} for i in range(3)] + [{"key": "new", "dimensions": 768}]
    with db.engine.begin() as connection:
        for row in rows:
            connection.execute(
                sa.text("INSERT INTO text_embeddings (key, dimensions, vector, created_at) VALUES (:k, :d, :v, :t)"),
                {"k": row["key"], "d": row["dimensions"], "v": b"\0" * 4 * row["dimensions"], "t": now()},
            )
    upgrade()
    with db.engine.connect() as connection:
        kept = connection.execute(sa.text("SELECT key FROM text_embeddings")).scalars().all()
    assert kept == ["new"]
    with db.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM text_embeddings"))
