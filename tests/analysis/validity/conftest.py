"""Fixtures of the validity checks' tests."""

import pytest


@pytest.fixture
def layout_epochs_calls(monkeypatch) -> list:
    """The ``layout_epochs`` of every pipeline clustering from here on, in order (the checks run in-process with n_jobs=1)."""
    from analysis.engine import clustering

    calls, original = [], clustering.find_biotypes

    def find_biotypes(x, config, progress=None, with_display=True, layout_epochs=None):
        calls.append(layout_epochs)
        return original(x, config, progress, with_display, layout_epochs)

    monkeypatch.setattr(clustering, "find_biotypes", find_biotypes)
    return calls
