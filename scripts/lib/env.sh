# Shared by scripts/run and scripts/test: a project virtualenv installed from the pinned locks.
# Installs only when requirements.lock, requirements-dev.lock or pyproject.toml change, and a dev
# venv (scripts/test) already satisfies the runtime (scripts/run): switching between them never
# reinstalls. The installer is uv when it can be had (PyPI), else pip; both show their progress.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${ATTUNIO_VENV:-$ROOT/.venv}"
# The appliance refuses unknown ATTUNIO_* variables, and this one is for the scripts only.
unset ATTUNIO_VENV
PY="$VENV/bin/python"
STAMP="$VENV/.attunio-stamp"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# pip here may be configured with local mirror folders that do not exist on every machine; its
# warnings about them are noise, so they are filtered out (real errors still show).
pip_install() {
  "$PY" -m pip install --disable-pip-version-check --progress-bar on "$@" \
    2> >(grep -v 'is ignored: it is neither' >&2)
}

find_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "Python 3.11 or newer is required (python3 -V shows $(python3 -V 2>&1))." >&2
  return 1
}

# uv installs the ~40 pinned wheels in parallel, several times faster than pip on a fresh machine.
# It is taken from PATH, or bootstrapped once into the venv with pip (one wheel); any failure
# falls back to pip.
find_uv() {
  if command -v uv >/dev/null 2>&1; then command -v uv; return 0; fi
  if [ ! -x "$VENV/bin/uv" ]; then
    say "Bootstrapping the uv installer into $VENV (pip)"
    pip_install --quiet uv >&2 || return 1
  fi
  echo "$VENV/bin/uv"
}

install_requirements() {
  local uv
  if uv="$(find_uv)"; then
    "$uv" pip install --python "$PY" "$@" && return 0
    say "uv failed; installing with pip instead"
  fi
  pip_install "$@"
}

# ensure_venv [dev]: create/refresh the venv; with "dev", test and tooling pins too.
ensure_venv() {
  local want="runtime"
  [ "${1:-}" = "dev" ] && want="dev"
  local runtime_stamp dev_stamp
  runtime_stamp="runtime-$(cat "$ROOT/requirements.lock" "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)"
  dev_stamp="dev-$(cat "$ROOT/requirements.lock" "$ROOT/pyproject.toml" "$ROOT/requirements-dev.lock" \
    | sha256sum | cut -c1-16)"
  local need="$runtime_stamp"
  [ "$want" = dev ] && need="$dev_stamp"
  # The stamp file lists what the venv holds: a dev install also satisfies a runtime request.
  if [ -x "$PY" ] && grep -qxF "$need" "$STAMP" 2>/dev/null; then
    return 0
  fi
  if [ ! -x "$PY" ]; then
    say "Creating virtualenv $VENV"
    "$(find_python)" -m venv "$VENV"
  fi
  say "Installing pinned dependencies ($want) into $VENV"
  if [ "$want" = dev ]; then
    install_requirements -r "$ROOT/requirements.lock" -r "$ROOT/requirements-dev.lock"
  else
    install_requirements -r "$ROOT/requirements.lock"
  fi
  install_requirements --no-deps -e "$ROOT"
  if [ "$want" = dev ]; then
    printf '%s\n%s\n' "$runtime_stamp" "$dev_stamp" > "$STAMP"
  else
    echo "$runtime_stamp" > "$STAMP"
  fi
}

# ensure_postgres: Debian's PostgreSQL server binaries (initdb, pg_ctl, postgres), which the tests use
# to make a throw-away cluster of their own (tests/pg_cluster.py); no cluster or service is started.
# Installs the `postgresql` package with apt-get when no server is found (root, as on CI).
pg_bindir() {
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -n "$found" ] && [ -x "$found/initdb" ] && [ -x "$found/pg_ctl" ]; then echo "$found"; return 0; fi
  return 1
}

ensure_postgres() {
  if pg_bindir >/dev/null; then return 0; fi
  if [ "$(id -u)" != 0 ]; then
    say "PostgreSQL server binaries not found: run 'sudo apt-get install postgresql' (the tests start their own cluster)"
    return 1
  fi
  say "Installing Debian's postgresql package (server binaries for the tests' own cluster)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  pg_bindir >/dev/null
}
