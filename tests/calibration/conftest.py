"""Fixtures for the calibration tests: a throw-away trusted vendor and the calibration service."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.calibration.helpers import Vendor, make_vendor

from attunio.clock import SystemClock
from attunio.services.calibration.lifecycle import Calibration
from attunio.services.operations.admins import AdminService
from attunio.store import Store

MAX_BUNDLE_BYTES = 64 * 1024


@pytest.fixture
def vendor(tmp_path: Path) -> Vendor:
    return make_vendor(tmp_path / "vendor")


@pytest.fixture
def calibration(store: Store, vendor: Vendor) -> Calibration:
    return Calibration(store, SystemClock(), vendor.trusted, MAX_BUNDLE_BYTES)


@pytest.fixture
def reviewer_token(store: Store) -> str:
    _, token = AdminService(store, SystemClock()).create("Dr Ada Okafor", "reviewer", actor="test",
                                                         licence_number="GMC-7654321")
    return token


@pytest.fixture
def admin_token(store: Store) -> str:
    _, token = AdminService(store, SystemClock()).create("Sam Ortiz", "admin", actor="test")
    return token
