"""The criteria domain: schema, loader, validator and scoring of PAR criteria sets.

Pure Python: this package never imports aiogram or SQLAlchemy.
"""
