"""The ECS task definitions in deploy/ecs: shape-checked as
RegisterTaskDefinition input with botocore's own validator and the ECS
service model shipped in Debian's python3-botocore, then checked for what
makes turnout a proper sidecar (essential, health-checked, the app waits
for HEALTHY and bootstraps to localhost), that every secret the route
config names arrives through `secrets` (SSM or Secrets Manager), and their
turnout command lines (with `run --check`'s secret checks) and health check
run against the real binary."""

import copy
import http.server
import re
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
# What the SSM parameters the task definitions name hold (README, Deploy on ECS).
SSM_PARAMETERS = {
    "arn:aws:ssm:us-east-1:123456789012:parameter/turnout/orders/routes": "turnout.json",
    "arn:aws:ssm:us-east-1:123456789012:parameter/turnout/orders/routes-secure":
        "turnout-secrets.json",
}
SSM_ARN = re.compile(r"arn:aws:ssm:[a-z0-9-]+:\d{12}:parameter/[A-Za-z0-9_.\-/]+")
# a Secrets Manager secret, optionally :json-key:version-stage:version-id
SECRETS_MANAGER_ARN = re.compile(
    r"arn:aws:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+"
    r"(:[A-Za-z0-9_.-]*:[A-Za-z0-9_.-]*:[A-Za-z0-9_.-]*)?")


@pytest.fixture(scope="module")
def register_input():
    model = botocore.session.get_session().get_service_model("ecs")
    return model.operation_model("RegisterTaskDefinition").input_shape


def containers(td):
    return {c["name"]: c for c in td["containerDefinitions"]}


def test_variants_present():
    assert TASKDEFS == ["taskdef-efs.json", "taskdef-env.json", "taskdef-secrets.json",
                        "taskdef-ssm.json"]


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


def config_file(td):
    """The deploy/ecs file that the task's route config is a copy of."""
    t = containers(td)["turnout"]
    for e in t.get("secrets", []):
        if e["name"] == "TURNOUT_CONFIG":
            return ECS / SSM_PARAMETERS[e["valueFrom"]]
    return ECS / "turnout.json"


def config_env(td):
    t = containers(td)["turnout"]
    for e in t.get("environment", []):
        if e["name"] == "TURNOUT_CONFIG":
            return e["value"]
    return config_file(td).read_text()


def password_envs(cfg):
    return {cl["sasl"]["password_env"]: f"clusters.{name}.sasl"
            for name, cl in cfg["clusters"].items() if "password_env" in cl.get("sasl", {})}


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
    cfg = json.loads(config_env(td))
    # ECS fills in the secrets (fake values here) and, with a task role,
    # the container credentials endpoint
    env = {"PATH": "/usr/bin:/bin", "TURNOUT_CONFIG": config_env(td),
           "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/test"}
    env.update({name: "fake-s3cret" for name in password_envs(cfg)})
    p = subprocess.run([str(turnout), *cmd, "--check"], env=env, capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0 and "ok" in p.stdout, p.stderr
    assert cfg == json.loads(config_file(td).read_text())


@pytest.mark.parametrize("name", TASKDEFS)
def test_secrets_delivered(name):
    """Every password_env the route config names is one of turnout's
    `secrets` (ECS reads it from SSM or Secrets Manager with the execution
    role), never a plain environment value, and the app gets none of them."""
    td = json.loads((ECS / name).read_text())
    c = containers(td)
    cfg = json.loads(config_env(td))
    secrets = {e["name"]: e["valueFrom"] for e in c["turnout"].get("secrets", [])}
    plain = {e["name"] for e in c["turnout"].get("environment", [])}
    for var in password_envs(cfg):
        assert var in secrets and var not in plain, var
    for var, source in secrets.items():
        assert SSM_ARN.fullmatch(source) or SECRETS_MANAGER_ARN.fullmatch(source), source
    if secrets:
        assert td["executionRoleArn"].startswith("arn:aws:iam::")
    app_env = {e["name"] for e in c["app"].get("environment", [])} | \
        {e["name"] for e in c["app"].get("secrets", [])}
    assert not app_env & set(secrets)
    # files the config names come from a mounted volume (EFS), not the image
    mounts = [m["containerPath"] for m in c["turnout"].get("mountPoints", [])]
    for cl in cfg["clusters"].values():
        for k in ("ca_file", "cert_file", "key_file"):
            f = cl.get("tls", {}).get(k)
            assert f is None or any(f.startswith(m + "/") for m in mounts), f
        f = cl.get("sasl", {}).get("password_file")
        assert f is None or any(f.startswith(m + "/") for m in mounts), f


def test_secrets_variant_check_names_missing_secret(turnout):
    """`run --check` on the secrets variant as ECS would start it, but with
    the Secrets Manager value missing: the field is named, exit status 1."""
    td = json.loads((ECS / "taskdef-secrets.json").read_text())
    cmd = containers(td)["turnout"]["command"]
    cfg = json.loads(config_env(td))
    assert cfg["clusters"]["target"]["sasl"] == {"mechanism": "AWS_MSK_IAM"}
    assert password_envs(cfg) == {"LEGACY_KAFKA_PASSWORD": "clusters.legacy.sasl"}
    env = {"PATH": "/usr/bin:/bin", "TURNOUT_CONFIG": config_env(td),
           "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/test"}
    p = subprocess.run([str(turnout), *cmd, "--check"], env=env, capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 1
    assert ("clusters.legacy.sasl: environment variable LEGACY_KAFKA_PASSWORD (password_env) "
            "is not set") in p.stderr
    # no task role and no keys: the IAM cluster's credentials are missing too
    env = {"PATH": "/usr/bin:/bin", "TURNOUT_CONFIG": config_env(td), "HOME": "/nonexistent",
           "LEGACY_KAFKA_PASSWORD": "fake-s3cret"}
    p = subprocess.run([str(turnout), *cmd, "--check"], env=env, capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 1 and "clusters.target.sasl: AWS credentials:" in p.stderr, p.stderr
    assert "fake-s3cret" not in p.stderr


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
