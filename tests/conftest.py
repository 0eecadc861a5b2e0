import pytest


@pytest.fixture(autouse=True)
def _colour_on(monkeypatch):
    # NO_COLOR turns snapshots monochrome; tests that need it set it themselves.
    monkeypatch.delenv("NO_COLOR", raising=False)
