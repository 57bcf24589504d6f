"""Operations tables: backups and other housekeeping (ids 30–39)."""

MIGRATIONS: list[tuple[int, str, str]] = []
