"""The ECS task definitions in deploy/ecs: shape-checked as
RegisterTaskDefinition input with botocore's own validator and the ECS
service model shipped in Debian's python3-botocore, then checked for what
makes turnout a proper sidecar (essential, health-checked, the app waits
for HEALTHY and bootstraps to localhost), and their turnout command lines
and health check run against the real binary."""

import copy
import http.server
import json
import os
import subprocess
import threading
from pathlib import Path

import botocore.session
import pytest
from botocore.validate import ParamValidator

from conftest import ROOT

ECS = ROOT / "deploy" / "ecs"
TASKDEFS = sorted(p.name for p in ECS.glob("taskdef-*.json"))


@pytest.fixture(scope="module")
def register_input():
    model = botocore.session.get_session().get_service_model("ecs")
    return model.operation_model("RegisterTaskDefinition").input_shape


def containers(td):
    return {c["name"]: c for c in td["containerDefinitions"]}


def test_three_variants_present():
    assert TASKDEFS == ["taskdef-efs.json", "taskdef-env.json", "taskdef-ssm.json"]


@pytest.mark.parametrize("name", TASKDEFS)
def test_botocore_shape(name, register_input):
    td = json.loads((ECS / name).read_text())
    report = ParamValidator().validate(td, register_input)
    assert not report.has_errors(), report.generate_report()


def test_validator_catches_mistakes(register_input):
    """The validation can fail: typos and wrong types are reported."""
    td = json.loads((ECS / "taskdef-env.json").read_text())
    bad = copy.deepcopy(td)
    bad["containerDefinitions"][0]["essentail"] = True
    bad["containerDefinitions"][0]["healthCheck"]["interval"] = "5"
    bad["containerDefinitions"][1]["dependsOn"][0]["condition"] = 7
    report = ParamValidator().validate(bad, register_input).generate_report()
    assert "essentail" in report
    assert "containerDefinitions[0].healthCheck.interval" in report
    assert "containerDefinitions[1].dependsOn[0].condition" in report


@pytest.mark.parametrize("name", TASKDEFS)
def test_sidecar_semantics(name):
    td = json.loads((ECS / name).read_text())
    c = containers(td)
    t, app = c["turnout"], c["app"]
    assert t["essential"] is True and app["essential"] is True
    assert t["readonlyRootFilesystem"] is True
    assert not t["user"].startswith("0") and t["user"].split(":")[0] != "root"
    hc = t["healthCheck"]
    assert hc["command"][:3] == ["CMD", "/usr/local/bin/turnout", "healthcheck"]
    assert "http://127.0.0.1:9644/readyz" in hc["command"]
    assert {"containerName": "turnout", "condition": "HEALTHY"} in app["dependsOn"]
    env = {e["name"]: e["value"] for e in app["environment"]}
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:9092"
    assert t["command"][0] == "run" and "--legacy-bootstrap" in t["command"]
    # awsvpc: the containers share 127.0.0.1
    assert td["networkMode"] == "awsvpc"


def config_env(td):
    t = containers(td)["turnout"]
    for e in t.get("environment", []):
        if e["name"] == "TURNOUT_CONFIG":
            return e["value"]
    # secrets (SSM) are documented to hold deploy/ecs/turnout.json
    return (ECS / "turnout.json").read_text()


@pytest.mark.parametrize("name", TASKDEFS)
def test_turnout_command_accepts_config(name, turnout):
    """turnout's command from the task definition, with the route config as
    ECS would deliver it (environment, SSM secret or EFS file)."""
    td = json.loads((ECS / name).read_text())
    cmd = list(containers(td)["turnout"]["command"])
    if "--config" in cmd:
        assert cmd[cmd.index("--config") + 1] == "/etc/turnout/turnout.json"
        mount = containers(td)["turnout"]["mountPoints"][0]
        assert mount["containerPath"] == "/etc/turnout" and mount["readOnly"] is True
        cmd[cmd.index("--config") + 1] = str(ECS / "turnout.json")
    env = dict(os.environ, TURNOUT_CONFIG=config_env(td))
    p = subprocess.run([str(turnout), *cmd, "--check"], env=env, capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0 and "ok" in p.stdout, p.stderr
    assert json.loads(config_env(td)) == json.loads((ECS / "turnout.json").read_text())


class Admin(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):
        self.send_response(Admin.status if self.path == "/readyz" else 404)
        self.end_headers()
        self.wfile.write(b"x")

    def log_message(self, *args):
        pass


def test_health_check_command(turnout):
    """The health check ECS runs, against an HTTP server standing in for
    turnout's admin port: exit 0 on 200, 1 on 503 or no server."""
    td = json.loads((ECS / "taskdef-env.json").read_text())
    cmd = containers(td)["turnout"]["healthCheck"]["command"][2:]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Admin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = cmd[cmd.index("--url") + 1].replace("9644", str(server.server_address[1]))
        args = cmd[:cmd.index("--url")] + ["--url", url]

        def run():
            return subprocess.run([str(turnout), *args], capture_output=True, text=True,
                                  timeout=30)
        Admin.status = 200
        assert run().returncode == 0
        Admin.status = 503
        p = run()
        assert p.returncode == 1 and "HTTP 503" in p.stderr
    finally:
        server.shutdown()
        server.server_close()
    p = subprocess.run([str(turnout), "healthcheck", "--url", url, "--timeout-ms", "500"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 1 and "connect" in p.stderr
    p = subprocess.run([str(turnout), "healthcheck", "--url", "https://x/"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
