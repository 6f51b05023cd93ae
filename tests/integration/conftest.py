"""pytest fixtures for turnout's integration tests.

`clusters` starts a fresh mockcluster (two mock clusters, legacy and target)
for each test, once per librdkafka flavor, and stops it afterwards; a
mockcluster that does not exit 0 on SIGTERM fails the test. Run with
/usr/bin/python3 -m pytest tests/integration (Debian's Kafka client modules
are only installed for the system Python).
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import FLAVORS, Clusters  # noqa: E402
from turnout_proc import Turnout  # noqa: E402


@pytest.fixture(params=FLAVORS, ids=list(FLAVORS))
def flavor(request):
    return request.param


@pytest.fixture
def clusters(flavor, tmp_path):
    c = Clusters(flavor, tmp_path)
    try:
        c.start()
    except BaseException:
        c.stop()
        raise
    yield c
    status = c.stop()
    assert status == 0, (
        f"mockcluster ({flavor}) exited with status {status}; "
        f"{c.stderr_tail()}")


@pytest.fixture
def turnout(clusters, tmp_path):
    """turnout in front of the clusters (default cluster legacy); a turnout
    that does not exit 0 on SIGTERM (crash, sanitizer report) fails the test."""
    t = Turnout(clusters, tmp_path).start()
    yield t
    status = t.stop()
    assert status == 0, f"turnout exited with {status}:\n{t.log_text()[-4000:]}"


def pytest_terminal_summary(terminalreporter):
    """The client matrix's table (test_client_matrix.py), when it ran."""
    import client_matrix
    if client_matrix.LAST_TABLE:
        terminalreporter.write_sep("=", "client matrix: direct vs through turnout")
        terminalreporter.write_line(client_matrix.LAST_TABLE)
