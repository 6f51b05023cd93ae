"""The container image without docker: deploy/Dockerfile is checked
structurally (hadolint is not packaged in Debian, so these are the checks
that matter here), the files its build stage copies are enough for
`make turnout`, and deploy/rootfs.sh — the image's entire filesystem — is
assembled from the local build and run under chroot as the non-root user on
a read-only bind mount, which is how the image runs."""

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD, ROOT

DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def instructions():
    """(INSTRUCTION, args) pairs, continuation lines joined, comments dropped."""
    out, cur = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if not cur and (not line.strip() or line.lstrip().startswith("#")):
            continue
        cur += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            word, _, rest = cur.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
            cur = ""
    return out


def stages():
    result = []
    for ins, args in instructions():
        if ins == "FROM":
            result.append((args, []))
        else:
            result[-1][1].append((ins, args))
    return result


def test_dockerfile_structure():
    st = stages()
    assert len(st) == 2
    (build_from, build), (final_from, final) = st
    assert build_from == "debian:bookworm-slim AS build"
    assert final_from == "scratch"
    # the final stage only copies the assembled filesystem and sets metadata
    assert [i for i, _ in final] == ["COPY", "USER", "EXPOSE", "ENTRYPOINT", "CMD"]
    assert final[0][1] == "--from=build /rootfs/ /"
    user = final[1][1].split(":")
    assert user[0].isdigit() and int(user[0]) != 0 and int(user[1]) != 0
    assert final[3][1] == '["/usr/local/bin/turnout"]'
    assert final[4][1] == '["run", "--config", "/etc/turnout/turnout.json"]'
    # the build stage cleans apt lists and builds with the project's Makefile
    runs = [a for i, a in build if i == "RUN"]
    assert any("rm -rf /var/lib/apt/lists/*" in r and "--no-install-recommends" in r
               for r in runs)
    assert any("make turnout" in r and "deploy/rootfs.sh" in r for r in runs)


def test_build_stage_copies_enough(tmp_path):
    """What the build stage COPYs is all `make turnout` needs."""
    ignored = [l.strip().rstrip("/") for l in (ROOT / ".dockerignore").read_text().splitlines()
               if l.strip()]
    for ins, args in stages()[0][1]:
        if ins != "COPY":
            continue
        *srcs, dst = shlex.split(args)
        for src in srcs:
            assert src.split("/")[0] not in ignored, src
            # docker: "DIR/" as destination keeps the source's name
            s = ROOT / src
            d = tmp_path / dst / s.name if dst.endswith("/") else tmp_path / dst
            if s.is_dir():
                shutil.copytree(s, d)
            else:
                d.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(s, d)
    p = subprocess.run(["make", "-n", "turnout"], cwd=tmp_path, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "build/rel/turnout" in p.stdout
    # and it compiles every source the checkout's own build does (a source
    # directory missing from the COPYs would silently drop out of a wildcard)
    def compiled(cwd):
        p = subprocess.run(["make", "-n", "-B", "turnout"], cwd=cwd, capture_output=True,
                           text=True)
        assert p.returncode == 0, p.stderr
        return set(re.findall(r" -c (\S+\.c) ", p.stdout))
    want = compiled(ROOT)
    assert any(s.startswith("routing/") for s in want)
    assert compiled(tmp_path) == want


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory):
    binary = BUILD / "rel" / "turnout"
    if not binary.exists():
        pytest.fail("build/rel/turnout missing (make build)")
    dest = tmp_path_factory.mktemp("image") / "rootfs"
    subprocess.run(["sh", str(ROOT / "deploy" / "rootfs.sh"), str(binary), str(dest)],
                   check=True)
    return dest


def test_rootfs_holds_only_turnout_and_its_libraries(rootfs):
    files = sorted(str(p.relative_to(rootfs)) for p in rootfs.rglob("*") if p.is_file())
    libs = [f for f in files if ".so" in Path(f).name]
    others = [f for f in files if f not in libs]
    assert others == ["etc/group", "etc/passwd", "etc/ssl/certs/ca-certificates.crt",
                      "usr/local/bin/turnout"]
    names = {Path(l).name.split(".so")[0] for l in libs}
    assert {"libc", "libssl", "libcrypto", "libcjson", "libyaml-0", "libevent_openssl-2.1",
            "librdkafka", "ld-linux-x86-64"} <= names
    assert (rootfs / "etc/passwd").read_text().startswith("nonroot:x:65532:65532:")
    # stripped: no debug sections
    out = subprocess.run(["readelf", "-S", str(rootfs / "usr/local/bin/turnout")],
                         capture_output=True, text=True).stdout
    assert ".debug_info" not in out


def chroot(rootfs, *args, env=None):
    """turnout inside the image's filesystem, as uid 65532, read-only."""
    inner = " ".join(shlex.quote(a) for a in args)
    script = (f"mount --bind {rootfs} {rootfs} && mount -o remount,bind,ro {rootfs} && "
              f"exec chroot --userspec=65532:65532 {rootfs} /usr/local/bin/turnout {inner}")
    return subprocess.run(["unshare", "--mount", "sh", "-c", script], capture_output=True,
                          text=True, timeout=30, env=env)


def test_runs_as_non_root_on_read_only_rootfs(rootfs, tmp_path):
    probe = chroot(rootfs, "--version")
    if probe.returncode != 0 and ("Operation not permitted" in probe.stderr
                                  or "permission denied" in probe.stderr.lower()):
        pytest.skip(f"no mount namespace or chroot here: {probe.stderr.strip()}")
    assert probe.returncode == 0 and probe.stdout.strip() == "turnout 0.1.0", probe.stderr
    # the config path of ECS: JSON from the environment, bootstraps from flags
    env = dict(os.environ, TURNOUT_CONFIG=(ROOT / "deploy/ecs/turnout.json").read_text())
    p = chroot(rootfs, "run", "--config-env", "TURNOUT_CONFIG", "--legacy-bootstrap",
               "kafka-1:9092", "--check", env=env)
    assert p.returncode == 0 and "ok" in p.stdout, p.stderr
    # the probe binary: sockets and name resolution work without a shell
    p = chroot(rootfs, "healthcheck", "--url", "http://127.0.0.1:1/readyz", "--timeout-ms", "500")
    assert p.returncode == 1 and "connect" in p.stderr, p.stderr
    # the injector works in the image too (the webhook Deployment runs it)
    p = chroot(rootfs, "inject", "--help")
    assert p.returncode == 0 and "turnout inject -f" in p.stdout
