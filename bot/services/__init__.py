"""Services that change state. They take an AsyncSession and never commit: the caller does."""
