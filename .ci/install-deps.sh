#!/usr/bin/env bash
# Install what the redis-races tests and images/build.sh need from apt, on a
# Debian 12 (bookworm) machine, as root. Idempotent: packages already installed
# are left alone, and `apt-get update` runs (once) only if something is missing.
# Starts nothing: service start-up is blocked with policy-rc.d while installing,
# and the redis-server unit Debian enables is disabled again (port 6379 stays free).
#
#   redis-server redis-tools  the process backend's server (without it the tests unpack the image's), redis-cli
#   chromium                  headless browser test (.ci/run sets REDIS_RACES_BROWSER_TEST=1)
#   docker.io                 container engine for images/build.sh (only if no docker CLI)
#   debian-archive-keyring    verifies bullseye/bookworm/trixie archives in images/build.sh
#   coreutils tar dpkg apt    used by images/build.sh (always present on Debian)
set -euo pipefail

die() { printf 'install-deps.sh: error: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root"
command -v apt-get >/dev/null || die "apt-get not found (Debian bookworm expected)"

PKGS=(redis-server redis-tools chromium debian-archive-keyring coreutils tar)
command -v docker >/dev/null || PKGS+=(docker.io)

installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }

MISSING=()
for p in "${PKGS[@]}"; do installed "$p" || MISSING+=("$p"); done
if [ ${#MISSING[@]} -eq 0 ]; then
  echo "install-deps.sh: all present: ${PKGS[*]}"
  exit 0
fi
echo "install-deps.sh: installing: ${MISSING[*]}"

# Keep maintainer scripts from starting services (invoke-rc.d/deb-systemd-invoke honour it).
POLICY=/usr/sbin/policy-rc.d
CREATED_POLICY=0
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# temporary, from redis-races .ci/install-deps.sh\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  CREATED_POLICY=1
fi
cleanup() { [ $CREATED_POLICY = 0 ] || rm -f "$POLICY"; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-o DPkg::Lock::Timeout=300 -q)
apt-get "${APT_OPTS[@]}" update
apt-get "${APT_OPTS[@]}" install -y --no-install-recommends "${MISSING[@]}"

# Debian enables redis-server.service at install; keep it from starting at next boot.
if [[ " ${MISSING[*]} " == *" redis-server "* ]] && command -v systemctl >/dev/null \
   && [ -d /run/systemd/system ]; then
  systemctl disable redis-server.service >/dev/null 2>&1 || true
fi

for p in "${PKGS[@]}"; do installed "$p" || die "$p did not install"; done
echo "install-deps.sh: done"
