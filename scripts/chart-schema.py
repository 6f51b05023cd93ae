#!/usr/bin/env python3
"""Writes the turnout configuration part of helm/turnout/values.schema.json
from schema/turnout.schema.json, so the chart checks exampleRoutes.config
with the same rules as editors and `turnout run --check` (the two are held
together by tests/deploy/test_config_schema.py).

The chart adds what an injected sidecar needs on top: `listen` and
`admin.listen` at their defaults (the injected bootstrap address and the
probes use them) and the admin server enabled. The configuration's
definitions go in as definitions.turnout_<name>.

  scripts/chart-schema.py          rewrite the chart's schema
  scripts/chart-schema.py --check  exit 1 if it is not what this writes
"""
import copy
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG_SCHEMA = ROOT / "schema" / "turnout.schema.json"
CHART_SCHEMA = ROOT / "helm" / "turnout" / "values.schema.json"
PREFIX = "turnout_"

# What the injected sidecar needs beyond a valid configuration.
SIDECAR = {
    "description": "turnout's configuration (schema/turnout.schema.json), for an injected "
                   "sidecar: listen and admin.listen stay at their defaults",
    "required": ["clusters"],
    "properties": {
        "listen": {"const": "127.0.0.1:9092"},
        "admin": {
            "description": "the sidecar's probes and `turnout healthcheck` use 127.0.0.1:9644",
            "properties": {"listen": {"const": "127.0.0.1:9644"}, "enabled": {"const": True}},
        },
    },
}


def rewrite_refs(node):
    if isinstance(node, dict):
        return {k: (v.replace("#/definitions/", "#/definitions/" + PREFIX)
                    if k == "$ref" else rewrite_refs(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [rewrite_refs(v) for v in node]
    return node


def chart_schema(chart, config):
    out = copy.deepcopy(chart)
    defs = {k: v for k, v in out["definitions"].items() if not k.startswith(PREFIX)}
    for name, d in config["definitions"].items():
        defs[PREFIX + name] = rewrite_refs(d)
    top = {k: v for k, v in config.items()
           if k not in ("$schema", "title", "description", "definitions")}
    defs[PREFIX + "config"] = rewrite_refs(top)
    out["definitions"] = defs
    sidecar = copy.deepcopy(SIDECAR)
    out["properties"]["exampleRoutes"]["properties"]["config"] = {
        "allOf": [{"$ref": f"#/definitions/{PREFIX}config"}], **sidecar}
    return out


def render(schema):
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv):
    chart = json.loads(CHART_SCHEMA.read_text())
    want = render(chart_schema(chart, json.loads(CONFIG_SCHEMA.read_text())))
    if argv[1:] == ["--check"]:
        if CHART_SCHEMA.read_text() != want:
            print(f"{CHART_SCHEMA.relative_to(ROOT)} is out of date: run scripts/chart-schema.py",
                  file=sys.stderr)
            return 1
        return 0
    if argv[1:]:
        print(__doc__, file=sys.stderr)
        return 2
    CHART_SCHEMA.write_text(want)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
