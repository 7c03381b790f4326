"""Fixtures of the cell tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def hosts(sandbox):
    """(A, B): this machine's host name and the second host's."""
    second = sandbox.extra_hosts(2)[0].name
    assert second in sandbox.ge().run(["qconf", "-sel"]).stdout.split()
    return sandbox.host, second
