"""The knowledge domain: curated Q&A entries, Vietnamese text handling and search.

Pure Python: this package never imports aiogram or SQLAlchemy.
"""
