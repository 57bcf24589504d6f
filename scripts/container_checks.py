"""Run the image exactly as docs/deploy.md says, and check what the container really does.

The deploy lines are not copied here: every fenced block that follows a
`<!-- container-test: NAME -->` marker in docs/deploy.md is run as written, with bash, in a
scratch folder. The only changes, all listed in `substitute`: curl resolves the documented host
name to this machine, and the published port moves to a free one when 8443 is taken.

Checked from the kernel's view of the container (/proc of its PID 1) and from outside:
non-root PID 1 with no capabilities and no-new-privs, a read-only root, no writes outside the data
volume, the image's health check, `init --existing-key` (and its refusal without the secret),
/healthz and /readyz and a scored request over TLS 1.3, a TLS 1.2 client refused, no excluded
package or pip in the image, every extension module importable, bytecode for everything the
server imports, the SBOM against the image's real contents, and a clean stop on SIGTERM.

Called by scripts/container-test with podman configured (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF).
"""

# Fixed commands on names this script chose; the shell blocks are the project's own docs.
# ruff: noqa: S603, S607, S108
from __future__ import annotations

import argparse
import http.client
import json
import re
import shlex
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "deploy.md"
MARKER = re.compile(r"<!-- container-test: (?P<name>[\w-]+) -->\n```sh\n(?P<body>.*?)\n```", re.DOTALL)
DOC_HOST = "attunio.hospital.local"
DOC_PORT = 8443
NAME = "attunio"
USER = "10001"
STARTED = time.monotonic()
TIMINGS: dict[str, float] = {}


class CheckFailed(Exception):
    pass


def say(message: str) -> None:
    print(f"container-checks: [{time.monotonic() - STARTED:5.1f}s] {message}", flush=True)


def doc_blocks() -> dict[str, str]:
    blocks = {m["name"]: m["body"] for m in MARKER.finditer(DOC.read_text(encoding="utf-8"))}
    missing = {"key", "init", "run", "healthcheck", "check", "stop", "verify", "load"} - blocks.keys()
    if missing:
        raise CheckFailed(f"docs/deploy.md has no container-test block for: {', '.join(sorted(missing))}")
    return blocks


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))  # noqa: S104 - probing what `-p 8443:8443` would bind
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Deploy:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.blocks = doc_blocks()
        self.port = DOC_PORT if port_free(DOC_PORT) else free_port()

    def substitute(self, body: str) -> str:
        if self.port != DOC_PORT:
            body = body.replace(f"-p {DOC_PORT}:{DOC_PORT}", f"-p 127.0.0.1:{self.port}:{DOC_PORT}")
        # The hospital's DNS name, resolved here to this machine (curl still checks the name).
        return body.replace("curl ", f"curl --resolve {DOC_HOST}:{DOC_PORT}:127.0.0.1 ", 1)

    def run_block(self, name: str, body: str | None = None, expect_ok: bool = True) -> str:
        text = self.substitute(body if body is not None else self.blocks[name])
        started = time.monotonic()
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", text], cwd=self.work, text=True,
                                capture_output=True, timeout=300, check=False)
        TIMINGS[name] = time.monotonic() - started
        output = result.stdout + result.stderr
        if expect_ok and result.returncode != 0:
            raise CheckFailed(f"docs/deploy.md block {name!r} failed ({result.returncode}):\n{text}\n{output}")
        if not expect_ok and result.returncode == 0:
            raise CheckFailed(f"docs/deploy.md block {name!r} was expected to fail but passed:\n{output}")
        say(f"ran the docs' {name!r} block ({TIMINGS[name]:.1f} s)")
        return output


def podman(*args: str, check: bool = True, timeout: float = 120) -> str:
    result = subprocess.run(["podman", *args], text=True, capture_output=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise CheckFailed(f"podman {shlex.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


def in_container(code: str) -> str:
    return podman("exec", NAME, "/opt/attunio/bin/python", "-c", code)


def clean_up() -> None:
    for args in (("rm", "-f", "-t", "0", NAME), ("volume", "rm", "-f", "attunio-data"),
                 ("secret", "rm", "attunio_store_key")):
        podman(*args, check=False)


# -- checks ------------------------------------------------------------------------------------


def check_init_needs_the_secret(deploy: Deploy) -> None:
    """The docs' init line without its --secret line must stop, naming the missing key."""
    body = "\n".join(
        line for line in deploy.blocks["init"].splitlines()
        if "--secret " not in line and not line.startswith("podman volume create")
    )
    output = deploy.run_block("init-without-secret", body, expect_ok=False)
    if "--existing-key was given" not in output:
        raise CheckFailed(f"init --existing-key without the secret failed for another reason:\n{output}")
    podman("volume", "rm", "attunio-data")
    say("init --existing-key refuses to run without the key secret")


def wait_healthy(deploy: Deploy) -> None:
    deadline = time.monotonic() + 120
    output = ""
    while time.monotonic() < deadline:
        if podman("inspect", "-f", "{{.State.Running}}", NAME).strip() != "true":
            raise CheckFailed(f"the container stopped:\n{podman('logs', NAME, check=False)}")
        result = subprocess.run(["bash", "-c", deploy.blocks["healthcheck"]], text=True, capture_output=True,
                                check=False, timeout=60)
        output = result.stdout + result.stderr
        if result.returncode == 0:
            TIMINGS["healthy after start"] = time.monotonic() - STARTED - TIMINGS.get("started at", 0)
            say(f"health check passed: {output.strip() or 'healthy'}")
            return
        time.sleep(1)
    raise CheckFailed(f"not healthy within 120 s: {output}\n{podman('logs', NAME, check=False)}")


def proc_status(pid: str) -> dict[str, str]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def check_process(pid: str) -> None:
    status = proc_status(pid)
    problems = []
    if status["NSpid"].split()[-1] != "1":
        problems.append(f"not PID 1 in its namespace (NSpid {status['NSpid']})")
    for key in ("Uid", "Gid"):
        if set(status[key].split()) != {USER}:
            problems.append(f"{key} {status[key]}, expected {USER} for real, effective, saved and fs")
    # podman lists the primary group again as a supplementary one; any other group would be extra.
    if set(status["Groups"].split()) - {USER}:
        problems.append(f"supplementary groups {status['Groups']}")
    for key in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        if int(status[key], 16) != 0:
            problems.append(f"{key} {status[key]}, expected none")
    if status.get("NoNewPrivs") != "1":
        problems.append("no_new_privs is not set")
    if problems:
        raise CheckFailed("PID 1: " + "; ".join(problems))
    command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    say(f"PID 1 is uid/gid {USER}, no capabilities, no_new_privs: {b' '.join(command).decode().strip()}")


def check_filesystem(pid: str) -> None:
    mounts = {}
    for line in Path(f"/proc/{pid}/mountinfo").read_text().splitlines():
        parts = line.split()
        mounts[parts[4]] = parts[5].split(",")
    if "ro" not in mounts["/"]:
        raise CheckFailed(f"the root filesystem is mounted {mounts['/']}, not read-only")
    writable = sorted(p for p, opts in mounts.items() if "rw" in opts and not p.startswith(("/proc", "/sys", "/dev")))
    expected = ["/run/secrets", "/tmp", "/var/lib/attunio"]
    extra = [p for p in writable if p not in expected and not p.startswith("/run/.containerenv")]
    if extra:
        raise CheckFailed(f"writable mounts besides {expected}: {extra}")
    probe = in_container(
        "import errno, json\n"
        "out = {}\n"
        "for path in ['/probe', '/opt/attunio/probe', '/etc/attunio/probe', '/usr/probe', '/var/tmp/probe',"
        " '/run/probe', '/run/secrets/probe']:\n"
        "    try:\n"
        "        open(path, 'w').close(); out[path] = 'written'\n"
        "    except OSError as exc:\n"
        "        out[path] = errno.errorcode[exc.errno]\n"
        "print(json.dumps(out))\n"
    )
    results = json.loads(probe)
    written = [path for path, outcome in results.items() if outcome == "written"]
    if written:
        raise CheckFailed(f"the app user could write {written}")
    # podman's own mount points for the files it bind-mounts in (/etc/hosts and its kin).
    podman_own = {"C /etc", "C /run", "A /etc/hosts", "A /etc/hostname", "A /etc/resolv.conf",
                  "A /run/.containerenv"}
    diff = "\n".join(line for line in podman("diff", NAME).splitlines() if line.strip() not in podman_own)
    if diff:
        raise CheckFailed(f"the container's filesystem changed outside its volumes:\n{diff}")
    scratch = in_container("import os; print(sorted(os.listdir('/tmp')))").strip()
    data = in_container("import os; print(sorted(os.listdir('/var/lib/attunio')))").strip()
    if data == "[]":
        raise CheckFailed("nothing was written to the data volume")
    say(f"root read-only ({', '.join(f'{p}: {o}' for p, o in results.items())}); podman diff empty; "
        f"/tmp {scratch}; data volume {data}")


def check_image_contents() -> None:
    report = json.loads(in_container(
        "import importlib.metadata as md, importlib.util, json, sys\n"
        "names = sorted(d.metadata['Name'] for d in md.distributions())\n"
        "print(json.dumps({'dists': names,"
        " 'vendor': importlib.util.find_spec('attunio_vendor') is not None,"
        " 'pip': importlib.util.find_spec('pip') is not None,"
        " 'ensurepip': importlib.util.find_spec('ensurepip') is not None}))\n"
    ))
    sys.path.insert(0, str(ROOT / "container"))
    from runtime_lock import canonical, excluded_names

    excluded = excluded_names((ROOT / "container" / "runtime-excludes.txt").read_text())
    present = {canonical(name) for name in report["dists"]} & excluded
    problems = [f"excluded package installed: {name}" for name in sorted(present)]
    problems += [f"{what} is importable" for what in ("vendor", "pip", "ensurepip") if report[what]]
    if problems:
        raise CheckFailed("; ".join(problems))
    imports = in_container(
        # psycopg first: its binary build refuses to be imported on its own, only through psycopg.
        "import importlib, pathlib, sys\n"
        "import psycopg\n"
        "site = pathlib.Path('/opt/attunio/lib/python3.11/site-packages')\n"
        "bad = []\n"
        "count = 0\n"
        "for so in sorted(site.rglob('*.so')):\n"
        "    rel = so.relative_to(site)\n"
        "    if rel.parts[0].endswith('.libs'): continue\n"
        "    name = '.'.join(rel.parts[:-1] + (rel.name.split('.')[0],))\n"
        "    try:\n"
        "        importlib.import_module(name); count += 1\n"
        "    except Exception as exc:\n"
        "        bad.append(f'{name}: {exc!r}')\n"
        "print(count); print('\\n'.join(bad))\n"
    ).strip().splitlines()
    if imports[1:]:
        raise CheckFailed("extension modules that do not import:\n" + "\n".join(imports[1:]))
    uncompiled = in_container(
        "import importlib.util, os, sys\n"
        "import attunio.api.app, attunio.cli.main, attunio.healthcheck, uvicorn.main, uvloop, httptools\n"
        "missing = [m.__spec__.origin for m in list(sys.modules.values())\n"
        "           if getattr(m, '__spec__', None) and m.__spec__.cached and m.__spec__.origin.endswith('.py')\n"
        "           and not os.path.exists(m.__spec__.cached)]\n"
        "print(len(sys.modules)); print('\\n'.join(missing))\n"
    ).strip().splitlines()
    if uncompiled[1:]:
        raise CheckFailed("modules imported without bytecode in the image:\n" + "\n".join(uncompiled[1:]))
    say(f"{len(report['dists'])} distributions, none excluded, no pip/ensurepip/vendor tool; "
        f"{imports[0]} extension modules import; {uncompiled[0]} modules loaded, all from bytecode")


def check_sbom(work: Path) -> None:
    sbom_path = work / "sbom.cdx.json"
    podman("cp", f"{NAME}:/usr/share/doc/attunio/sbom.cdx.json", str(sbom_path))
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = sbom_path.read_text(encoding="utf-8")
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if error is not None:
        raise CheckFailed(f"the SBOM is not valid CycloneDX 1.6: {error}")
    sbom = json.loads(text)
    listed = {(c["name"].lower(), c.get("version")) for c in sbom["components"]}
    dists = json.loads(in_container(
        "import importlib.metadata as md, json\n"
        "print(json.dumps(sorted([d.metadata['Name'].lower(), d.version] for d in md.distributions()"
        " if d.metadata['Name'] != 'attunio')))\n"
    ))
    debs = podman("exec", NAME, "dpkg-query", "-W", "-f", "${Package} ${Version}\\n").split("\n")
    packages = [line.split(" ", 1) for line in debs if line.strip()]
    missing = [f"python {n} {v}" for n, v in dists if (n, v) not in listed]
    missing += [f"deb {n} {v}" for n, v in packages if (n.lower(), v) not in listed]
    if missing:
        raise CheckFailed("the SBOM misses what the image holds:\n  " + "\n  ".join(missing))
    if sbom["metadata"]["component"]["name"] != "attunio":
        raise CheckFailed("the SBOM does not describe attunio")
    say(f"SBOM valid CycloneDX 1.6: all {len(dists)} Python distributions and {len(packages)} Debian "
        f"packages of the image listed ({len(sbom['components'])} components)")


def tls_context(cafile: Path, maximum: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(cafile))
    if maximum is not None:
        context.maximum_version = maximum
    return context


def https(deploy: Deploy, cafile: Path, method: str, path: str, *, headers: dict[str, str] | None = None,
          body: bytes | None = None) -> tuple[int, dict[str, str], bytes, str]:
    connection = http.client.HTTPSConnection("127.0.0.1", deploy.port, timeout=30)
    # The certificate names the documented host; that is the name this client checks.
    connection.sock = tls_context(cafile).wrap_socket(
        socket.create_connection(("127.0.0.1", deploy.port), timeout=30), server_hostname=DOC_HOST
    )
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        version = connection.sock.version() or ""
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read(), version
    finally:
        connection.close()


def conformance_case(name: str) -> dict[str, Any]:
    """The repository's own copy of the reference's cases (tests/conformance), so a fresh clone runs."""
    path = ROOT / "tests" / "conformance" / name
    if not path.is_file():
        raise CheckFailed(f"conformance case {name} not found in {path.parent}")
    return dict(json.loads(path.read_text()))


def check_api(deploy: Deploy) -> None:
    cafile = deploy.work / "attunio-cert.pem"
    for path in ("/healthz", "/readyz"):
        status, headers, body, version = https(deploy, cafile, "GET", path)
        if status != 200 or version != "TLSv1.3" or "strict-transport-security" not in headers:
            raise CheckFailed(f"GET {path}: {status} over {version}, headers {headers}: {body[:300]!r}")
        say(f"GET {path}: 200 over {version}: {body.decode()[:120]}")
    created = podman("exec", NAME, "attunio", "keys", "create", "--app", "Container test", "--create-app",
                     "--type", "secret", "--mode", "test", "--label", "container-test")
    key = created.strip().splitlines()[-1]
    case = conformance_case("dmse-quickstart.json")
    request = case["request"]
    status, _, body, version = https(
        deploy, cafile, request["method"], request["path"],
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        body=json.dumps(request["body"]).encode(),
    )
    answer = json.loads(body)
    data = answer.get("data", {})
    if status != case["expect"]["status"] or version != "TLSv1.3" or data.get("object") != "dmse.analysis":
        raise CheckFailed(f"{request['method']} {request['path']}: {status} over {version}: {body[:400]!r}")
    say(f"{request['method']} {request['path']}: {status} over {version}, a scored {data['object']}")
    try:
        with socket.create_connection(("127.0.0.1", deploy.port), timeout=30) as raw, tls_context(
            cafile, ssl.TLSVersion.TLSv1_2
        ).wrap_socket(raw, server_hostname=DOC_HOST) as tls:
            raise CheckFailed(f"a TLS 1.2 client was served ({tls.version()})")
    except ssl.SSLError as exc:
        say(f"a TLS 1.2-only client is refused: {exc.reason}")


def check_stop(deploy: Deploy) -> str:
    output = deploy.run_block("stop")
    state = json.loads(podman("inspect", "-f", "{{json .State}}", NAME))
    # podman stop sends SIGKILL after 10 s: exit 137 would mean SIGTERM did not stop it.
    if state["Running"] or state["ExitCode"] not in (0, 143) or state.get("OOMKilled"):
        raise CheckFailed(f"unclean stop: exit {state['ExitCode']}, state {state}\n{output}")
    last = output.strip().splitlines()[-1] if output.strip() else ""
    try:
        line = json.loads(last)
    except ValueError:
        raise CheckFailed(f"the last log line is not a structured log line: {last!r}") from None
    if not re.search(r"stopped|finished|shut", json.dumps(line), re.IGNORECASE):
        raise CheckFailed(f"the last log line does not report the stop: {last}")
    say(f"stopped on SIGTERM in {TIMINGS['stop']:.1f} s, exit {state['ExitCode']}; last log line: {last}")
    return last


def version() -> str:
    match = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    if not match:
        raise CheckFailed("no version in pyproject.toml")
    return match[1]


def flipped(path: Path, offset: int) -> None:
    with path.open("r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([byte[0] ^ 0x01]))


def check_release(deploy: Deploy) -> None:
    """scripts/release with a throw-away vendor key, then the docs' verify and load lines on it."""
    ver = version()
    keys = deploy.work / "keys"
    keys.mkdir()
    made = subprocess.run([sys.executable, "-m", "attunio_vendor", "keygen", "--out", str(keys / "vendor")],
                          text=True, capture_output=True, check=False)
    if made.returncode != 0:
        raise CheckFailed(f"keygen failed: {made.stderr}")
    dist = deploy.work / "dist"
    started = time.monotonic()
    result = subprocess.run([str(ROOT / "scripts" / "release"), "--key", str(keys / "vendor.key"), "--out", str(dist),
                             "--verify-key", str(keys / "vendor.pub")], text=True, capture_output=True, check=False)
    TIMINGS["release"] = time.monotonic() - started
    if result.returncode != 0:
        raise CheckFailed(f"scripts/release failed:\n{result.stdout}{result.stderr}")
    bundle = dist / f"attunio-{ver}"
    say(f"scripts/release made {sorted(p.name for p in bundle.iterdir())} ({TIMINGS['release']:.1f} s)")
    # The docs speak of an upgrade from 1.0.0 to 1.1.0; here the bundle is this tree's version, and the
    # verifier also trusts the throw-away key (announced on stderr).
    verify = deploy.blocks["verify"].replace("attunio-1.1.0", f"attunio-{ver}").replace(
        "release verify /release", "release verify /release --extra-vendor-key /keys/vendor.pub"
    ).replace("-v ", f"-v {keys}:/keys:ro -v ", 1)
    deploy.work = dist
    output = deploy.run_block("verify", verify)
    if '"verified": true' not in output:
        raise CheckFailed(f"release verify did not report a verified bundle:\n{output}")
    for name in (f"attunio-{ver}.tar", f"attunio-{ver}.cdx.json", "release.manifest"):
        path = bundle / name
        offset = path.stat().st_size // 2
        flipped(path, offset)
        refused = deploy.run_block(f"verify, {name} with a flipped byte", verify, expect_ok=False)
        flipped(path, offset)
        if "REJECTED" not in refused:
            raise CheckFailed(f"verify failed without saying why for {name}:\n{refused}")
        say(f"a flipped byte in {name} is refused: {refused.strip().splitlines()[-1]}")
    image_id = podman("image", "inspect", "-f", "{{.Id}}", f"attunio:{ver}").strip()
    podman("rm", "-f", NAME)
    podman("rmi", f"attunio:{ver}")
    deploy.run_block("load", deploy.blocks["load"].replace("attunio-1.1.0", f"attunio-{ver}"))
    loaded = podman("image", "inspect", "-f", "{{.Id}}", f"attunio:{ver}").strip()
    if loaded != image_id:
        raise CheckFailed(f"the loaded image is {loaded}, the built one {image_id}")
    say(f"podman load of the verified tarball gives back the built image {image_id[:12]}")


def check_all(keep: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="attunio-container-"))
    clean_up()
    deploy = Deploy(work)
    if deploy.port != DOC_PORT:
        say(f"port {DOC_PORT} is taken on this machine: publishing on {deploy.port} instead")
    try:
        deploy.run_block("key")
        check_init_needs_the_secret(deploy)
        deploy.run_block("init")
        TIMINGS["started at"] = time.monotonic() - STARTED
        deploy.run_block("run")
        wait_healthy(deploy)
        pid = podman("inspect", "-f", "{{.State.Pid}}", NAME).strip()
        check_process(pid)
        deploy.run_block("check")
        check_api(deploy)
        check_filesystem(pid)
        check_image_contents()
        check_sbom(work)
        timing = in_container("import subprocess, sys, time\n"
                              "t = time.monotonic()\n"
                              "subprocess.run([sys.executable, '-c', 'pass'], capture_output=True)\n"
                              "a = time.monotonic() - t; t = time.monotonic()\n"
                              "subprocess.run([sys.executable, '-m', 'attunio.healthcheck'], capture_output=True)\n"
                              "print(f'{a:.3f} {time.monotonic() - t:.3f}')").split()
        say(f"in the container: `python -c pass` {timing[0]} s, the health check {timing[1]} s")
        check_stop(deploy)
        check_release(deploy)
    finally:
        if not keep:
            clean_up()
            subprocess.run(["rm", "-rf", str(work)], check=False)
    say("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in TIMINGS.items() if k != "started at"))
    say("PASSED")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", action="store_true", help="leave the container, volume and folder")
    args = parser.parse_args()
    try:
        check_all(args.keep)
    except CheckFailed as exc:
        say(f"FAILED: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
