"""Operations tables (migration ids 30–39): none yet, and the empty list is deliberate.

Backups and restores are recorded in the audit trail and in each archive's manifest, not in a
table; the module keeps the id range reserved so a future operations table cannot collide with
another concern's migration ids (store/migrations.py applies them all in id order).
"""

MIGRATIONS: list[tuple[int, str, str]] = []
