"""Calibration: signed bundles, their review, promotion and rollback, comparison, the active versions."""
