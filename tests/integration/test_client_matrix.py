"""Every client stack × operation × mock cluster flavor, run directly and
through turnout, results compared (see client_matrix.py for what a cell
checks). The cells run together in one pool on one cluster + turnout per
flavor; each test item then reports its own cell. The measured table is
printed at the end of the pytest run and written to
build/test-logs/client-matrix.md.
"""
import time

import pytest

import client_matrix as mx
from harness import BUILD_DIR, Clusters
from turnout_proc import Turnout

CELLS = mx.cells()


@pytest.fixture(scope="session")
def matrix(request, tmp_path_factory):
    # Run only the cells pytest selected (-k, node ids).
    selected = [tuple(item.callspec.params[k] for k in ("flavor", "client", "op"))
                for item in request.session.items
                if item.originalname == "test_client_matrix"]
    envs, procs = {}, []
    try:
        for flavor in sorted({c[0] for c in selected}):
            tmp = tmp_path_factory.mktemp(f"matrix-{flavor}")
            clusters = Clusters(flavor, tmp)
            procs.append(clusters)
            clusters.start()
            if flavor == "modern":
                # the mock names broker 0, which does not exist, as controller
                clusters.ok("controller legacy 1")
            turnout = Turnout(clusters, tmp)
            procs.append(turnout)
            turnout.start()
            envs[flavor] = mx.Env(flavor, clusters, turnout)
        start = time.monotonic()
        result = mx.run_matrix(envs, selected)
        seconds = time.monotonic() - start
        for flavor, env in envs.items():
            if not env.turnout.alive():
                for cell in result.values():
                    if cell.flavor == flavor:
                        cell.verdict = "turnout died during the matrix"
        mx.LAST_TABLE = mx.table(result, seconds)
        logs = BUILD_DIR / "test-logs"
        logs.mkdir(parents=True, exist_ok=True)
        (logs / "client-matrix.md").write_text(mx.LAST_TABLE + "\n")
        yield result
    finally:
        statuses = [(type(p).__name__, p.stop()) for p in reversed(procs)]
    bad = [(name, status) for name, status in statuses if status != 0]
    assert not bad, f"matrix processes exited uncleanly: {bad}; " + "; ".join(
        env.turnout.log_text()[-2000:] for env in envs.values())


@pytest.mark.parametrize("flavor,client,op", CELLS, ids=["-".join(c) for c in CELLS])
def test_client_matrix(matrix, flavor, client, op):
    cell = matrix[(flavor, client, op)]
    assert cell.passed(), cell.verdict
