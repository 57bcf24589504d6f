"""Model registry tables: calibrated versions and the active pointer (ids 20–29)."""

MIGRATIONS: list[tuple[int, str, str]] = []
