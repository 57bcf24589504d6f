# Shared by scripts/run and scripts/test: a project virtualenv installed from the pinned lock.
# Re-installs only when requirements.lock, requirements-dev.lock or pyproject.toml change.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${ATTUNIO_VENV:-$ROOT/.venv}"
# The appliance refuses unknown ATTUNIO_* variables, and this one is for the scripts only.
unset ATTUNIO_VENV
PY="$VENV/bin/python"

# pip here may be configured with local mirror folders that do not exist on every machine; its
# warnings about them are noise, so they are filtered out (real errors still show).
pip_install() { "$PY" -m pip install --quiet --disable-pip-version-check "$@" 2> >(grep -v 'is ignored: it is neither' >&2); }

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

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

# ensure_venv [dev]: create/refresh the venv; with "dev", test and tooling pins too.
ensure_venv() {
  local want="runtime" stamp_src
  [ "${1:-}" = "dev" ] && want="dev"
  stamp_src="$(cat "$ROOT/requirements.lock" "$ROOT/pyproject.toml")"
  if [ "$want" = dev ]; then
    stamp_src="$stamp_src$(cat "$ROOT/requirements-dev.lock")"
  fi
  local stamp; stamp="$want-$(printf '%s' "$stamp_src" | sha256sum | cut -c1-16)"
  if [ -x "$PY" ] && [ "$(cat "$VENV/.attunio-stamp" 2>/dev/null)" = "$stamp" ]; then
    return 0
  fi
  if [ ! -x "$PY" ]; then
    say "Creating virtualenv $VENV"
    "$(find_python)" -m venv "$VENV"
  fi
  say "Installing pinned dependencies ($want)"
  pip_install --upgrade pip
  pip_install -r "$ROOT/requirements.lock"
  if [ "$want" = dev ]; then
    pip_install -r "$ROOT/requirements-dev.lock"
  fi
  pip_install --no-deps -e "$ROOT"
  echo "$stamp" > "$VENV/.attunio-stamp"
}
