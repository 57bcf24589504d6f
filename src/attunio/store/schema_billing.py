"""Billing tables: license, usage, quota, clock high-water mark (ids 10–19)."""

MIGRATIONS: list[tuple[int, str, str]] = []
