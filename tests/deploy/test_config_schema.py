"""schema/turnout.schema.json against turnout itself: the schema is a valid
draft-07 schema; every example configuration in the repository (demo/,
deploy/ecs/, the README's ```json blocks, the helm chart's rendered route
ConfigMaps) passes it and `turnout run --check --no-secrets`; and on a table
of valid configurations and mutations of them (an unknown key in every
object, a wrong type and an odd string at every value, every number at and
past its bounds, hand-picked edge cases) the schema accepts exactly what
turnout accepts. The few rules that relate two values (TURNOUT_ONLY) are
turnout's alone: there the schema accepts and turnout must reject."""

import copy
import json
import re
import subprocess

import pytest

from conftest import ROOT

jsonschema = pytest.importorskip("jsonschema", reason="python3-jsonschema (make deps)")

SCHEMA_PATH = ROOT / "schema" / "turnout.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text())
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)
CLUSTERS = ("legacy", "target")
# what the sidecar passes when the file leaves a bootstrap out
OVERRIDE = {"legacy": "kafka-1.legacy.internal:9092", "target": "b-1.target.internal:9092"}
# README ```json blocks that are not turnout configurations carry this
# marker on the line before the fence.
NOT_CONFIG = "<!-- not a turnout config -->"

# Uses every key turnout accepts, with values turnout accepts.
FULL = {
    "$schema": "./turnout.schema.json",
    "listen": "127.0.0.1:9092",
    "advertised_host": "orders.internal",
    "broker_port_base": 30000,
    "default_cluster": "legacy",
    "service": "orders",
    "max_frame_bytes": 104857600,
    "metadata_refresh_ms": 60000,
    "request_timeout_ms": 60000,
    "log_level": "info",
    "log": {"format": "json"},
    "admin": {"listen": "127.0.0.1:9644", "enabled": True, "allow_remote": False,
              "token_file": "/run/secrets/admin-token"},
    "clusters": {
        "legacy": {
            "bootstrap": "kafka-1.internal:9096,kafka-2.internal:9096",
            "tls": {"ca_file": "/etc/ssl/ca.pem", "cert_file": "/etc/ssl/c.pem",
                    "key_file": "/etc/ssl/c.key", "verify_hostname": True,
                    "server_name": "kafka.internal"},
            "sasl": {"mechanism": "SCRAM-SHA-512", "username": "orders",
                     "password_file": "/run/secrets/kafka-password"},
        },
        "target": {
            "bootstrap": "b-1.prod.abc123.c2.kafka.us-east-1.amazonaws.com:9098",
            "tls": {},
            "sasl": {"mechanism": "AWS_MSK_IAM", "region": "us-east-1", "profile": "msk"},
        },
    },
    "listen_tls": {"cert_file": "/etc/turnout/tls.crt", "key_file": "/etc/turnout/tls.key"},
    "routes": {
        "groups": {"billing": "target", "audit": {"cluster": "target", "topics": ["payments"]}},
        "producers": {"cluster": "legacy", "topics": {"payments": "target"},
                      "services": {"orders": {"cluster": "target",
                                              "topics": {"audit-log": "legacy"}}}},
        "topics": {"audit-log": "target"},
    },
    "mirror": {
        "source_alias": "legacy", "target_alias": "msk", "replication_policy": "identity",
        "separator": ".", "internal_topic_separator_enabled": True,
        "offset_syncs_topic_location": "source", "checkpoints_topic": "legacy.checkpoints.internal",
        "offset_syncs_topic": "mm2-offset-syncs.msk.internal", "verify_record_budget": 10000,
        "use_checkpoints": True, "ready_timeout_ms": 30000, "fetch_timeout_ms": 10000,
    },
    "cutover": {"quiet_ms": 5000, "freeze_max_ms": 30000, "control_topic": "__turnout_cutover",
                "control_cluster": "legacy", "instance_id": "orders-7f9c-0", "heartbeat_ms": 2000},
}
# The other SASL branch: PLAIN with a variable, no IAM keys.
PLAIN = {"clusters": {"legacy": {"bootstrap": "a:1"},
                      "target": {"bootstrap": "b:2", "sasl": {
                          "mechanism": "PLAIN", "username": "u", "password_env": "KAFKA_PW"}}}}
BASES = {"full": FULL, "plain": PLAIN}


def turnout_only(cfg):
    """The reason turnout rejects cfg by a rule that relates two values (the
    schema cannot say it), or None. Only asked of configs the schema accepts."""
    if not VALIDATOR.is_valid(cfg):
        return None
    m = cfg.get("mirror")
    if isinstance(m, dict) and "source_alias" in m and m.get("source_alias") == m.get(
            "target_alias"):
        return "mirror.target_alias must differ from source_alias"
    c = cfg.get("cutover")
    if isinstance(c, dict) and c.get("freeze_max_ms", 30000) < c.get("quiet_ms", 5000):
        return "cutover.freeze_max_ms must be at least quiet_ms"
    for name in CLUSTERS:
        cl = (cfg.get("clusters") or {}).get(name) or {}
        s = cl.get("sasl") if isinstance(cl, dict) else None
        if isinstance(s, dict) and s.get("mechanism") == "AWS_MSK_IAM" and "region" not in s:
            host = str(cl.get("bootstrap", OVERRIDE[name])).split(",")[0].rsplit(":", 1)[0]
            if not re.search(r"\.kafka(-serverless)?\.[a-z0-9-]+\.amazonaws\.com$", host):
                return f"clusters.{name}.sasl.region is required for a non-MSK bootstrap"
    return None


def overrides(cfg):
    """--legacy-bootstrap / --target-bootstrap for the bootstraps cfg leaves
    out, as the injected sidecar and the ECS task definitions pass them."""
    args = []
    if not isinstance(cfg, dict):
        return args
    clusters = cfg.get("clusters", {})
    if not isinstance(clusters, dict):
        return args
    for name in CLUSTERS:
        cl = clusters.get(name, {})
        if isinstance(cl, dict) and "bootstrap" not in cl:
            args += [f"--{name}-bootstrap", OVERRIDE[name]]
    return args


class Checker:
    def __init__(self, turnout, tmp_path):
        self.turnout, self.dir, self.n = turnout, tmp_path, 0

    def turnout_accepts(self, cfg, text=None):
        self.n += 1
        f = self.dir / f"case-{self.n}.json"
        f.write_text(text if text is not None else json.dumps(cfg))
        p = subprocess.run([str(self.turnout), "run", "--check", "--no-secrets", "--config",
                            str(f), *overrides(cfg)], capture_output=True, text=True, timeout=30)
        assert p.returncode in (0, 1), p.stdout + p.stderr  # never a crash
        assert "rejected" in p.stderr or p.returncode == 0, p.stderr
        return p.returncode == 0, (p.stdout + p.stderr).strip()

    def compare(self, cfg, label):
        """None if the schema and turnout agree on cfg, else what differs."""
        errors = sorted(VALIDATOR.iter_errors(cfg), key=lambda e: list(e.path))
        ok, said = self.turnout_accepts(cfg)
        schema_ok = not errors
        why = turnout_only(cfg)
        if why and schema_ok:
            return None if not ok else f"{label}: turnout accepted it despite: {why}"
        if schema_ok == ok:
            return None
        detail = errors[0].message if errors else "schema accepts"
        return f"{label}: schema {'accepts' if schema_ok else 'rejects'} ({detail}), turnout: {said}"


@pytest.fixture
def checker(turnout, tmp_path):
    return Checker(turnout, tmp_path)


def test_schema_is_valid_draft07():
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-07/schema#"


def test_patterns_are_portable():
    """No lookaround: RE2 (Go's regexp: helm, kubeconform) rejects it."""
    patterns = [v["pattern"] for _, v in walk(SCHEMA) if isinstance(v, dict) and "pattern" in v]
    assert len(patterns) >= 10
    assert [p for p in patterns if "(?" in p] == []


def walk(obj, path=()):
    """(path, value) for every object and value below obj."""
    yield path, obj
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from walk(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from walk(v, path + (i,))


def test_every_key_has_a_description():
    def props(s, path):
        for k, v in s.get("properties", {}).items():
            if v is False:
                continue
            yield f"{path}.{k}", v
            yield from props(v, f"{path}.{k}")
        for key in ("additionalProperties", "items"):
            if isinstance(s.get(key), dict):
                yield from props(s[key], f"{path}.<{key}>")

    missing = [p for p, v in props(SCHEMA, "") if "description" not in v]
    for name, d in SCHEMA["definitions"].items():
        missing += [p for p, v in props(d, f"#{name}") if "description" not in v
                    and not (set(v) <= {"$ref"} and p.startswith("#"))]
    assert missing == []
    # objects are closed everywhere turnout rejects unknown keys
    open_objects = [p for p, v in walk(SCHEMA) if isinstance(v, dict) and v.get("type") ==
                    "object" and "additionalProperties" not in v]
    assert open_objects == []


def schema_keys(s=SCHEMA, path=()):
    """Every key path the schema names (not the free ones: group ids, topics)."""
    for k, v in s.get("properties", {}).items():
        if isinstance(v, dict):
            yield path + (k,)
            ref = v.get("$ref", "")
            sub = SCHEMA["definitions"][ref.split("/")[-1]] if ref else v
            yield from schema_keys(sub, path + (k,))


def keys_missing_from(configs):
    have = {p for cfg in configs for p, _ in walk(cfg)}
    # a key shown under one cluster counts for both
    have |= {("clusters", c) + p[2:] for p in have if p[:1] == ("clusters",) for c in CLUSTERS}
    return [".".join(p) for p in schema_keys() if p not in have]


def test_full_config_uses_every_schema_key():
    """The bases name every key the schema has, so the mutations below reach them all."""
    assert keys_missing_from(BASES.values()) == []


def test_readme_has_an_example_for_every_key():
    """Issue 5: a documented example for every option."""
    assert keys_missing_from(cfg for _, cfg in readme_configs()) == []


def test_chart_schema_is_generated_from_it():
    """helm/turnout/values.schema.json checks exampleRoutes.config with this
    schema (scripts/chart-schema.py writes it); test_helm.py shows helm
    applying it."""
    p = subprocess.run(["/usr/bin/python3", str(ROOT / "scripts" / "chart-schema.py"),
                        "--check"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    chart = json.loads((ROOT / "helm" / "turnout" / "values.schema.json").read_text())
    assert chart["definitions"]["turnout_config"]["properties"].keys() == \
        SCHEMA["properties"].keys()


def deep_merge(base, extra):
    out = copy.deepcopy(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def readme_configs():
    """The README's ```json blocks, each merged over the README's minimal
    configuration (the first block); a fragment `"key": {...}` is wrapped
    in braces first."""
    lines = (ROOT / "README.md").read_text().splitlines()
    blocks = []
    for i, line in enumerate(lines):
        if line.strip() != "```json" or (i and lines[i - 1].strip() == NOT_CONFIG):
            continue
        end = lines.index("```", i + 1)
        text = "\n".join(lines[i + 1:end]).strip()
        blocks.append((i + 1, json.loads(text if text.startswith("{") else "{" + text + "}")))
    assert len(blocks) >= 4
    minimal = blocks[0][1]
    return [(f"README.md:{n}", deep_merge(minimal, b)) for n, b in blocks]


def repo_examples():
    out = [(str(p.relative_to(ROOT)), json.loads(p.read_text()))
           for p in sorted((ROOT / "demo").glob("*.json"))]
    for p in sorted((ROOT / "deploy" / "ecs").glob("turnout*.json")):
        out.append((str(p.relative_to(ROOT)), json.loads(p.read_text())))
    for p in sorted((ROOT / "deploy" / "ecs").glob("taskdef-*.json")):
        for c in json.loads(p.read_text())["containerDefinitions"]:
            for e in c.get("environment", []):
                if e["name"] == "TURNOUT_CONFIG":
                    out.append((f"{p.relative_to(ROOT)} TURNOUT_CONFIG", json.loads(e["value"])))
    return out


def test_examples_validate(checker):
    examples = repo_examples() + readme_configs() + list(BASES.items())
    names = [n for n, _ in examples]
    assert sum(n.startswith("demo/") for n in names) >= 2
    assert sum(n.startswith("deploy/ecs/") for n in names) >= 3
    problems = []
    for name, cfg in examples:
        problems += [f"{name}: {list(e.path)}: {e.message}" for e in VALIDATOR.iter_errors(cfg)]
        ok, said = checker.turnout_accepts(cfg)
        if not ok:
            problems.append(f"{name}: turnout: {said}")
    assert problems == []


def test_helm_rendered_configs_validate(checker, helm):
    from test_helm import VALUE_SETS, by_kind, render

    seen = 0
    problems = []
    for name, values in VALUE_SETS.items():
        _, docs = render(helm, values)
        for cm in by_kind(docs, "ConfigMap"):
            text = cm["data"].get("turnout.json")
            if text is None:
                continue
            cfg = json.loads(text)
            seen += 1
            problems += [f"{name}: {list(e.path)}: {e.message}"
                         for e in VALIDATOR.iter_errors(cfg)]
            ok, said = checker.turnout_accepts(cfg, text)
            if not ok:
                problems.append(f"{name}: turnout: {said}")
    assert seen >= 5 and problems == []


def set_at(cfg, path, value):
    out = copy.deepcopy(cfg)
    node = out
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return out


def drop_at(cfg, path):
    out = copy.deepcopy(cfg)
    node = out
    for k in path[:-1]:
        node = node[k]
    del node[path[-1]]
    return out


def rename_key(cfg, path, new):
    """The object at path[:-1] with key path[-1] renamed to new (same value)."""
    out = copy.deepcopy(cfg)
    node = out
    for k in path[:-1]:
        node = node[k]
    node[new] = node.pop(path[-1])
    return out


def schema_at(path):
    """The schema for the value at path (following $ref, map values, oneOf)."""
    s = SCHEMA
    for k in path:
        while "$ref" in s:
            s = SCHEMA["definitions"][s["$ref"].split("/")[-1]]
        if "oneOf" in s:
            s = next(o for o in s["oneOf"] if o.get("type") == "object")
        if isinstance(k, int):
            s = s["items"]
        elif k in s.get("properties", {}):
            s = s["properties"][k]
        else:
            s = s["additionalProperties"]
    while "$ref" in s:
        s = SCHEMA["definitions"][s["$ref"].split("/")[-1]]
    return s


def generated_cases():
    """Mutations of each base at every place: (label, config)."""
    for base_name, base in BASES.items():
        for path, value in walk(base):
            label = f"{base_name}:{'.'.join(map(str, path)) or '(top)'}"
            if isinstance(value, dict):
                yield f"{label} + unknown key", set_at(base, path + ("zz_unknown",), 1) \
                    if path else {**base, "zz_unknown": 1}
                if path:
                    yield f"{label} = []", set_at(base, path, [])
                    yield f"{label} = \"x\"", set_at(base, path, "x")
                    yield f"{label} = {{}}", set_at(base, path, {})
                continue
            if not path:
                continue
            if len(path) > 1:
                yield f"{label} removed", drop_at(base, path)
            if isinstance(value, list):
                for v in ([], {}, "x", None, value * 2, [value]):
                    yield f"{label} = {v!r}"[:120], set_at(base, path, v)
            if isinstance(value, bool):
                yield f"{label} = \"true\"", set_at(base, path, "true")
                yield f"{label} = 1", set_at(base, path, 1)
                yield f"{label} = {not value}", set_at(base, path, not value)
            elif isinstance(value, int):
                s = schema_at(path)
                lo, hi = s["minimum"], s["maximum"]
                for v in (lo - 1, lo, hi, hi + 1, float(lo), lo + 0.5, str(lo), True, None):
                    yield f"{label} = {v!r}", set_at(base, path, v)
            elif isinstance(value, str):
                for v in ("", "x y!", "target", "a:1", "h:0", "us-west-2", "A_1", 7, None,
                          [value], "é:1", "a:1,b:2", "x" * 101, value + "\n"):
                    yield f"{label} = {v!r}"[:120], set_at(base, path, v)
            if len(path) > 2 and isinstance(path[-1], str) and path[:1] == ("routes",) \
                    and path[-2] in ("groups", "topics"):
                # the key itself: a group id or a topic name
                for k in ("", ".", "..", "...", "a b", "x" * 249, "x" * 250, "$x", "t\n"):
                    yield f"{label} key {k[:8]!r}*{len(k)}", rename_key(base, path, k)


# Hand-picked edge cases: (label, base, path, value, turnout should accept).
# path None: the whole configuration is value.
R = ("routes",)
L = ("clusters", "legacy")
T = ("clusters", "target")
EDGES = [
    ("listen port 0", FULL, ("listen",), "127.0.0.1:0", True),
    ("listen port 65535", FULL, ("listen",), "127.0.0.1:65535", True),
    ("listen port 65536", FULL, ("listen",), "127.0.0.1:65536", False),
    ("listen leading zeros", FULL, ("listen",), "127.0.0.1:009092", True),
    ("listen no host", FULL, ("listen",), ":9092", False),
    ("listen no port", FULL, ("listen",), "127.0.0.1:", False),
    ("listen port +80", FULL, ("listen",), "127.0.0.1:+80", False),
    ("listen port -0", FULL, ("listen",), "127.0.0.1:-0", False),
    ("listen port ' 80'", FULL, ("listen",), "127.0.0.1: 80", False),
    ("listen ipv6", FULL, ("listen",), "[::1]:9092", True),
    ("listen trailing newline", FULL, ("listen",), "127.0.0.1:9092\n", False),
    ("listen newline in host", FULL, ("listen",), "a\nb:9092", True),
    ("bootstrap trailing newline", FULL, L + ("bootstrap",), "a:1\n", False),
    ("bootstrap newline entry", FULL, L + ("bootstrap",), "a:1,\n", False),
    ("topic trailing newline", FULL, R + ("topics",), {"t\n": "target"}, False),
    ("password_env trailing newline", FULL, L + ("sasl",),
     {"mechanism": "PLAIN", "username": "u", "password_env": "PW\n"}, False),
    ("iam region trailing newline", FULL, T + ("sasl", "region"), "us-east-1\n", False),
    ("admin.listen port 99999", FULL, ("admin", "listen"), "127.0.0.1:99999", False),
    ("bootstrap port 0", FULL, L + ("bootstrap",), "a:0", False),
    ("bootstrap three", FULL, L + ("bootstrap",), "a:1,b:2,c:65535", True),
    ("bootstrap empty entry", FULL, L + ("bootstrap",), "a:1,,b:2", True),
    ("bootstrap leading comma", FULL, L + ("bootstrap",), ",a:1", True),
    ("bootstrap trailing comma", FULL, L + ("bootstrap",), "a:1,", True),
    ("bootstrap only comma", FULL, L + ("bootstrap",), ",", False),
    ("bootstrap only commas", FULL, L + ("bootstrap",), ",,,", False),
    ("bootstrap empty", FULL, L + ("bootstrap",), "", False),
    ("bootstrap space", FULL, L + ("bootstrap",), "a:1, b:2", True),
    ("bootstrap port +1", FULL, L + ("bootstrap",), "a:+1", False),
    ("no clusters", FULL, None, {"listen": "127.0.0.1:9092"}, True),
    ("empty file object", FULL, None, {}, True),
    ("top level array", FULL, None, [], False),
    ("top level null", FULL, None, None, False),
    ("top level string", FULL, None, "x", False),
    ("$schema number", FULL, ("$schema",), 1, False),
    ("$schema in log", FULL, ("log", "$schema"), "x", False),
    ("$schema in clusters", FULL, ("clusters", "$schema"), "x", False),
    ("third cluster", FULL, ("clusters", "msk"), {"bootstrap": "a:1"}, False),
    ("sasl password", FULL, L + ("sasl", "password"), "hunter2", False),
    ("sasl no mechanism", FULL, L + ("sasl",), {"username": "u", "password_file": "f"}, False),
    ("sasl both passwords", FULL, L + ("sasl", "password_env"), "PW", False),
    ("sasl no password", FULL, L + ("sasl",), {"mechanism": "PLAIN", "username": "u"}, False),
    ("sasl no username", FULL, L + ("sasl",), {"mechanism": "PLAIN", "password_env": "P"},
     False),
    ("sasl SCRAM-SHA-256", FULL, L + ("sasl", "mechanism"), "SCRAM-SHA-256", True),
    ("sasl lower-case mechanism", FULL, L + ("sasl", "mechanism"), "plain", False),
    ("sasl region on SCRAM", FULL, L + ("sasl", "region"), "us-east-1", False),
    ("sasl profile on SCRAM", FULL, L + ("sasl", "profile"), "p", False),
    ("password_env digit first", FULL, L + ("sasl",),
     {"mechanism": "PLAIN", "username": "u", "password_env": "1PW"}, False),
    ("password_env dash", FULL, L + ("sasl",),
     {"mechanism": "PLAIN", "username": "u", "password_env": "PW-1"}, False),
    ("iam username", FULL, T + ("sasl", "username"), "u", False),
    ("iam password_env", FULL, T + ("sasl", "password_env"), "P", False),
    ("iam no region, msk host", FULL, T + ("sasl",), {"mechanism": "AWS_MSK_IAM"}, True),
    ("iam region upper case", FULL, T + ("sasl", "region"), "US-EAST-1", False),
    ("iam region no dash", FULL, T + ("sasl", "region"), "useast1", False),
    ("iam region leading dash", FULL, T + ("sasl", "region"), "-us-east", False),
    ("iam region trailing dash", FULL, T + ("sasl", "region"), "us-east-", False),
    ("iam region 3 chars", FULL, T + ("sasl", "region"), "u-1", False),
    ("iam region 32 chars", FULL, T + ("sasl", "region"), "a-" + "b" * 30, True),
    ("iam region 33 chars", FULL, T + ("sasl", "region"), "a-" + "b" * 31, False),
    ("tls cert without key", FULL, L + ("tls",), {"cert_file": "c"}, False),
    ("tls key without cert", FULL, L + ("tls",), {"key_file": "k"}, False),
    ("listen_tls cert only", FULL, ("listen_tls",), {"cert_file": "c"}, False),
    ("listen_tls empty", FULL, ("listen_tls",), {}, False),
    ("group object without cluster", FULL, R + ("groups", "g"), {"topics": ["t"]}, False),
    ("group topics empty", FULL, R + ("groups", "g"), {"cluster": "legacy", "topics": []},
     True),
    ("group topics bad name", FULL, R + ("groups", "g"), {"cluster": "legacy",
                                                          "topics": ["a b"]}, False),
    ("group topics number", FULL, R + ("groups", "g"), {"cluster": "legacy", "topics": [1]},
     False),
    ("group route number", FULL, R + ("groups", "g"), 1, False),
    ("services empty", FULL, R + ("producers", "services"), {}, True),
    ("service named ''", FULL, R + ("producers", "services", ""), {"cluster": "legacy"}, True),
    ("service block services", FULL, R + ("producers", "services", "x"),
     {"services": {}}, False),
    ("topics empty", FULL, R + ("topics",), {}, True),
    ("mirror empty", FULL, ("mirror",), {}, False),
    ("mirror no target_alias", FULL, ("mirror",), {"source_alias": "a"}, False),
    ("mirror alias 100", FULL, ("mirror", "source_alias"), "a" * 100, True),
    ("mirror alias 101", FULL, ("mirror", "source_alias"), "a" * 101, False),
    ("mirror alias slash", FULL, ("mirror", "source_alias"), "a/b", False),
    ("mirror separator 32", FULL, ("mirror", "separator"), "_" * 32, True),
    ("mirror separator 33", FULL, ("mirror", "separator"), "_" * 33, False),
    ("mirror topic 249", FULL, ("mirror", "checkpoints_topic"), "c" * 249, True),
    ("mirror topic 250", FULL, ("mirror", "checkpoints_topic"), "c" * 250, False),
    ("mirror same aliases", FULL, ("mirror", "target_alias"), "legacy", False),
    ("freeze below quiet", FULL, ("cutover", "freeze_max_ms"), 4999, False),
    ("freeze equals quiet", FULL, ("cutover", "freeze_max_ms"), 5000, True),
    ("integer as 1e3", FULL, ("cutover", "quiet_ms"), 1e3, True),
    ("control cluster msk", FULL, ("cutover", "control_cluster"), "msk", False),
    ("control cluster target", FULL, ("cutover", "control_cluster"), "target", True),
    ("control topic space", FULL, ("cutover", "control_topic"), "a b", False),
    ("control topic dot", FULL, ("cutover", "control_topic"), ".", False),
    ("control topic 250", FULL, ("cutover", "control_topic"), "c" * 250, False),
    ("instance id space", FULL, ("cutover", "instance_id"), "pod a", False),
    ("instance id quote", FULL, ("cutover", "instance_id"), 'pod"a', False),
    ("instance id empty", FULL, ("cutover", "instance_id"), "", False),
    ("instance id 120", FULL, ("cutover", "instance_id"), "i" * 120, True),
    ("instance id 121", FULL, ("cutover", "instance_id"), "i" * 121, False),
    ("heartbeat 99", FULL, ("cutover", "heartbeat_ms"), 99, False),
    ("heartbeat 100", FULL, ("cutover", "heartbeat_ms"), 100, True),
    ("heartbeat 60001", FULL, ("cutover", "heartbeat_ms"), 60001, False),
    ("max_frame 2^30", FULL, ("max_frame_bytes",), 1 << 30, True),
    ("max_frame huge", FULL, ("max_frame_bytes",), 1e300, False),
    ("log_level upper case", FULL, ("log_level",), "INFO", False),
    ("log format xml", FULL, ("log", "format"), "xml", False),
    ("default_cluster msk", FULL, ("default_cluster",), "msk", False),
]


def edge_config(base, path, value):
    if path is None:
        return value
    out = copy.deepcopy(base)
    node = out
    for k in path[:-1]:
        node = node.setdefault(k, {})
    node[path[-1]] = value
    return out


@pytest.mark.parametrize("label,base,path,value,want", EDGES, ids=[e[0] for e in EDGES])
def test_edge_cases_agree(checker, label, base, path, value, want):
    cfg = edge_config(base, path, value)
    ok, said = checker.turnout_accepts(cfg)
    assert ok == want, said
    assert checker.compare(cfg, label) is None
    if not want and turnout_only(cfg):
        assert VALIDATOR.is_valid(cfg)  # a rule the schema cannot state
    else:
        assert VALIDATOR.is_valid(cfg) == want, [e.message for e in VALIDATOR.iter_errors(cfg)]


def test_mutations_agree(checker):
    cases = list(generated_cases())
    accepted = sum(VALIDATOR.is_valid(c) for _, c in cases)
    # both outcomes are well represented, so agreement is not trivial
    assert len(cases) > 800 and 200 < accepted < len(cases) - 400, (len(cases), accepted)
    mismatches = [m for label, cfg in cases if (m := checker.compare(cfg, label))]
    assert mismatches == [], f"{len(mismatches)} of {len(cases)}:\n" + "\n".join(mismatches)


# Raw texts json.dumps cannot write: (label, text, schema sees it as valid).
GOOD_CLUSTERS = '"clusters": {"legacy": {"bootstrap": "a:1"}, "target": {"bootstrap": "b:2"}}'
RAW = [
    ("repeated top-level key", '{"listen": "a:1", "listen": "b:2", ' + GOOD_CLUSTERS + '}', True),
    ("repeated cluster key", '{"clusters": {"legacy": {"bootstrap": "a:1"}, "legacy": '
     '{"bootstrap": "c:3"}, "target": {"bootstrap": "b:2"}}}', True),
    ("repeated group", '{"routes": {"groups": {"g": "legacy", "g": "target"}}, '
     + GOOD_CLUSTERS + '}', True),
    ("repeated service", '{"routes": {"producers": {"services": {"s": {}, "s": {}}}}, '
     + GOOD_CLUSTERS + '}', True),
    ("repeated mirror key", '{"mirror": {"source_alias": "a", "target_alias": "b", '
     '"source_alias": "c"}, ' + GOOD_CLUSTERS + '}', True),
    ("NUL in an enum value", '{"log_level": "info\\u0000x", ' + GOOD_CLUSTERS + '}', False),
    ("NUL in a key", '{"listen\\u0000x": "a:1", ' + GOOD_CLUSTERS + '}', False),
    ("NUL in a topic", '{"routes": {"topics": {"t\\u0000": "target"}}, ' + GOOD_CLUSTERS + '}',
     False),
]


@pytest.mark.parametrize("label,text,schema_ok", RAW, ids=[r[0] for r in RAW])
def test_turnout_rejects_what_json_readers_disagree_on(checker, label, text, schema_ok):
    """cJSON keeps repeated keys (and turnout read the first) and cuts strings
    at \\u0000; Python's json keeps the last key and the whole string. turnout
    refuses both, so no file means one thing to it and another to the schema."""
    cfg = json.loads(text)
    ok, said = checker.turnout_accepts(cfg, text)
    assert not ok, said
    assert re.search(r"repeated key|listed twice|\\u0000 is not allowed", said), said
    assert VALIDATOR.is_valid(cfg) == schema_ok
