"""Operations: admin identities, the audit trail, backup and restore, per-instance values."""
