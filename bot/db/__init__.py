"""Database layer: typed models, engine and session factory, migrations."""
