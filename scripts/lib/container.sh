# Shared by scripts/container-test and scripts/release: a private podman engine, the base image
# and the image build. Nothing global is changed: podman reads only the configuration written
# under $CT_HOME, and its images, containers, volumes and secrets live there too.
#
# CONTAINER_TEST_DIR  where that folder is (default ~/.cache/attunio/containers). Kept between
#                     runs on the same machine, so the base image and the build cache are reused.
# BUILD_CA_BUNDLE     a CA bundle for pip inside the build, for networks that re-sign TLS
#                     (default: the host's PIP_CERT, else SSL_CERT_FILE, when the file exists).
# CT_BASE_IMAGE       build FROM this image instead (skips the registry probe and debuerreotype).
set -euo pipefail

CT_HOME="${CONTAINER_TEST_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/attunio/containers}"
# The Debian release the image is built on; the registry image is pinned by digest in the
# Containerfile (ARG BASE_IMAGE), the local one is rebuilt from the same suite.
CT_SUITE=bookworm
CT_MIRROR=http://deb.debian.org/debian
CT_SECURITY_MIRROR=http://deb.debian.org/debian-security
CT_PACKAGES=(podman runc netavark aardvark-dns containernetworking-plugins debuerreotype debootstrap)

ct_say() { printf '\033[1m==> [container %4ds] %s\033[0m\n' "$SECONDS" "$*" >&2; }

# Install the engine when missing. Other jobs on the machine may hold the dpkg lock: wait for it.
ct_install_engine() {
  local missing=()
  command -v podman >/dev/null 2>&1 || missing+=(podman)
  command -v runc >/dev/null 2>&1 || missing+=(runc)
  command -v debuerreotype-init >/dev/null 2>&1 || missing+=(debuerreotype)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "container: ${missing[*]} missing and not root; install: apt-get install ${CT_PACKAGES[*]}" >&2
    return 1
  fi
  ct_say "installing ${CT_PACKAGES[*]} (missing: ${missing[*]})"
  local apt=(apt-get -o DPkg::Lock::Timeout=600 -qq)
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" update
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y --no-install-recommends "${CT_PACKAGES[@]}" >/dev/null
}

# A private containers.conf and storage.conf (podman.md has why each line is there).
ct_configure() {
  mkdir -p "$CT_HOME/storage/root" "$CT_HOME/storage/run" "$CT_HOME/base"
  local nofile nproc
  nofile="$(ulimit -Hn)"
  [ "$nofile" = unlimited ] && nofile=1048576
  nproc="$(cat /proc/sys/kernel/pid_max)"
  # No CAP_SYS_RESOURCE on these machines: podman's default ulimits (1048576) fail with
  # "setrlimit ... not permitted", so the limits are the ones this machine can grant.
  cat > "$CT_HOME/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
# crun fails here ("cgroups in hybrid mode not supported"); no systemd, so cgroupfs and file events.
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  cat > "$CT_HOME/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$CT_HOME/storage/root"
runroot = "$CT_HOME/storage/run"
EOF
  export CONTAINERS_CONF="$CT_HOME/containers.conf"
  export CONTAINERS_STORAGE_CONF="$CT_HOME/storage.conf"
}

# One run at a time per folder: the docs' names (container attunio, volume attunio-data) are fixed.
ct_lock() {
  # scripts/container-test calls scripts/release while it holds the lock.
  [ -n "${CT_LOCKED:-}" ] && return 0
  export CT_LOCKED=1
  exec {CT_LOCK_FD}>"$CT_HOME/lock"
  if ! flock -n "$CT_LOCK_FD"; then
    ct_say "another run holds $CT_HOME/lock; waiting"
    flock "$CT_LOCK_FD"
  fi
}

# The Containerfile's default base, pinned by digest.
ct_pinned_base() {
  sed -n 's/^ARG BASE_IMAGE=//p' "$ROOT/Containerfile" | head -1
}

ct_registry_reachable() {
  # 401 (authentication required) is a registry that answers.
  local code
  code="$(curl -s -o /dev/null -m 8 -w '%{http_code}' https://registry-1.docker.io/v2/ || true)"
  [ "$code" = 401 ] || [ "$code" = 200 ]
}

# What a local base is built from: the recipe (this function's text), the tool's version, the
# keyring, and the archive's state (the Date of each suite's signed InRelease). A changed
# archive (a point release, a security update) builds a new base; an unchanged one reuses it.
ct_base_key() {
  local dates="" suite release
  for suite in "$CT_MIRROR/dists/$CT_SUITE" "$CT_MIRROR/dists/$CT_SUITE-updates" \
               "$CT_SECURITY_MIRROR/dists/$CT_SUITE-security"; do
    release="$(curl -fsS -m 30 "$suite/InRelease")" || return 1
    dates+="$(grep -m1 '^Date:' <<<"$release")"
  done
  {
    declare -f ct_build_local_base
    echo "$CT_SUITE $CT_MIRROR $CT_SECURITY_MIRROR"
    debuerreotype-version
    sha256sum /usr/share/keyrings/debian-archive-keyring.gpg
    echo "$dates"
  } | sha256sum | cut -c1-16
}

# debian:bookworm-slim made the way Debian's official image is made (debuerreotype, its
# examples/debian.sh "slim" variant), from Debian's signed archive.
ct_build_local_base() {
  local tar="$1" work
  work="$(mktemp -d "$CT_HOME/base/build.XXXXXX")"
  local rootfs="$work/rootfs"
  debuerreotype-init --non-debian --keyring /usr/share/keyrings/debian-archive-keyring.gpg \
    "$rootfs" "$CT_SUITE" "$CT_MIRROR" >"$work/init.log" 2>&1 || { cat "$work/init.log" >&2; return 1; }
  debuerreotype-minimizing-config "$rootfs"
  # What debuerreotype-debian-sources-list --deb822 writes (the official image's sources); the
  # tool itself probes snapshot.debian.org, which these machines cannot reach.
  rm -f "$rootfs/etc/apt/sources.list"
  cat > "$rootfs/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $CT_MIRROR
Suites: $CT_SUITE $CT_SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $CT_SECURITY_MIRROR
Suites: $CT_SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  debuerreotype-apt-get "$rootfs" update -qq
  debuerreotype-apt-get "$rootfs" dist-upgrade -yqq >/dev/null
  debuerreotype-slimify "$rootfs"
  debuerreotype-tar "$rootfs" "$tar.partial"
  mv "$tar.partial" "$tar"
  rm -rf "$work"
}

# Sets CT_BASE to the image reference the build starts FROM.
ct_ensure_base() {
  if [ -n "${CT_BASE_IMAGE:-}" ]; then
    CT_BASE="$CT_BASE_IMAGE"
    return 0
  fi
  local pinned; pinned="$(ct_pinned_base)"
  if ct_registry_reachable; then
    ct_say "registry reachable: pulling the pinned base $pinned"
    podman pull -q "$pinned" >/dev/null
    CT_BASE="$pinned"
    return 0
  fi
  local key tar
  if ! key="$(ct_base_key)"; then
    # No archive either: the newest base built before is the best there is.
    tar="$(ls -t "$CT_HOME"/base/debian-*.tar 2>/dev/null | head -1 || true)"
    [ -n "$tar" ] || { echo "container: no registry, no Debian archive and no cached base" >&2; return 1; }
    key="$(basename "$tar" .tar)"; key="${key##*-}"
    ct_say "Debian archive unreachable: reusing the cached base $tar"
  fi
  tar="$CT_HOME/base/debian-$CT_SUITE-slim-$key.tar"
  CT_BASE="localhost/debuerreotype/debian:$CT_SUITE-slim-$key"
  if podman image exists "$CT_BASE"; then
    ct_say "local base $CT_BASE (cached)"
    return 0
  fi
  if [ ! -s "$tar" ]; then
    ct_say "no registry reachable: building $CT_SUITE-slim with debuerreotype (key $key)"
    ct_build_local_base "$tar"
    # Older bases of this suite are superseded.
    find "$CT_HOME/base" -maxdepth 1 -name "debian-$CT_SUITE-slim-*.tar" ! -name "$(basename "$tar")" -delete
  fi
  # The official image's only configuration is CMD ["bash"].
  podman import -q --change 'CMD ["bash"]' "$tar" "$CT_BASE" >/dev/null
  ct_say "imported $tar as $CT_BASE"
}

# The CA bundle pip inside the build should trust, if any.
ct_build_ca() {
  local candidate
  for candidate in "${BUILD_CA_BUNDLE:-}" "${PIP_CERT:-}" "${SSL_CERT_FILE:-}"; do
    if [ -n "$candidate" ] && [ -f "$candidate" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

# ct_build TAG VERSION: build the Containerfile (docker format: OCI drops HEALTHCHECK).
ct_build() {
  local tag="$1" version="$2" ca args=()
  args=(--format docker --pull=never --layers -t "$tag" -f "$ROOT/Containerfile"
        --build-arg "BASE_IMAGE=$CT_BASE" --build-arg "VERSION=$version")
  if ca="$(ct_build_ca)"; then
    # /mnt exists (empty) in the base, so mounting a folder there leaves nothing in the image;
    # a mount at a new path would leave an empty file or folder behind.
    mkdir -p "$CT_HOME/build-ca"
    cp "$ca" "$CT_HOME/build-ca/ca.crt"
    args+=(-v "$CT_HOME/build-ca:/mnt:ro" --build-arg "BUILD_CA_BUNDLE=/mnt/ca.crt")
  fi
  ct_say "building $tag from $CT_BASE"
  podman build "${args[@]}" "$ROOT" > "$CT_HOME/build.log" 2>&1 || { tail -40 "$CT_HOME/build.log" >&2; return 1; }
}
