#!/usr/bin/env bash
# Build the redis-races server images locally, from Debian packages only.
#
# No registry is contacted: each image is a minimal root filesystem made of the
# server package's dependency closure (downloaded with a private apt setup per
# Debian suite, cached), imported with `docker import`.
#
# Usage: images/build.sh [--force] [--tag TAG] [KEY...]
#   KEY: redis-6.0 redis-7.0 redis-8.0 valkey-8.1 | all (default) | default (= redis-7.0)
#   --tag TAG: with exactly one KEY, name the image TAG instead (e.g. a scratch tag for tests)
# Run by hand, by .ci/run, and by the live test harness when an image is missing
# (live/src/provision.rs runs this very file, compiled into it, for one KEY).
# Env:   XDG_CACHE_HOME (cache root), DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR,
#        APT_MAX_AGE (seconds before package lists are refreshed, default 86400)
set -euo pipefail

# key | tag | suite | package | binary | expected upstream version
IMAGES=(
  "redis-6.0|redis-races/redis:6.0|bullseye|redis-server|redis-server|6.0.16"
  "redis-7.0|redis-races/redis:7.0|bookworm|redis-server|redis-server|7.0.15"
  "redis-8.0|redis-races/redis:8.0|trixie|redis-server|redis-server|8.0.2"
  "valkey-8.1|redis-races/valkey:8.1|trixie|valkey-server|valkey-server|8.1.1"
)
ALL_KEYS=(redis-6.0 redis-7.0 redis-8.0 valkey-8.1)

MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/redis-races/debs
APT_MAX_AGE=${APT_MAX_AGE:-86400}
# Server defaults baked into the ENTRYPOINT: arguments given to `docker run IMAGE ...`
# are appended (later options win), so callers never lose these.
SERVER_ARGS=(--port 6379 --bind 0.0.0.0 --protected-mode no --save "" --appendonly no)
# Packages only needed by maintainer scripts (which never run here: the .debs are
# just unpacked). They are declared "installed" in apt's private status file so
# the resolver leaves them, and everything they drag in (perl, PAM...), out.
INSTALL_TIME_ONLY="adduser passwd debconf cdebconf init-system-helpers lsb-base usrmerge
  usr-is-merged dpkg tar perl-base sysvinit-utils login.defs base-passwd"

log() { printf '[build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }

# ---------------------------------------------------------------- arguments
FORCE=0
KEYS=()
TAG_OVERRIDE=""
while [ $# -gt 0 ]; do
  a=$1; shift
  case $a in
    --force|-f) FORCE=1 ;;
    --tag)
      [ $# -gt 0 ] || die "--tag needs a value (e.g. --tag redis-races-test/redis:7.0)"
      TAG_OVERRIDE=$1; shift
      [[ $TAG_OVERRIDE =~ ^[a-z0-9][a-z0-9._/-]*:[A-Za-z0-9._-]+$ ]] \
        || die "--tag '$TAG_OVERRIDE' is not a NAME:TAG image reference" ;;
    -h|--help) usage; exit 0 ;;
    all) KEYS+=("${ALL_KEYS[@]}") ;;
    default) KEYS+=(redis-7.0) ;;
    redis-6.0|redis-7.0|redis-8.0|valkey-8.1) KEYS+=("$a") ;;
    *) die "unknown argument '$a' (expected --force, all, default or one of: ${ALL_KEYS[*]})" ;;
  esac
done
[ ${#KEYS[@]} -gt 0 ] || KEYS=("${ALL_KEYS[@]}")
# de-duplicate, keep order
declare -A seen=(); uniq=()
for k in "${KEYS[@]}"; do [ -n "${seen[$k]:-}" ] || { seen[$k]=1; uniq+=("$k"); }; done
KEYS=("${uniq[@]}")
[ -z "$TAG_OVERRIDE" ] || [ ${#KEYS[@]} = 1 ] || die "--tag names one image: give exactly one KEY"

# ---------------------------------------------------------------- preflight
command -v docker >/dev/null || die "docker CLI not found (install docker.io: bash .ci/install-deps.sh)"
docker info >/dev/null 2>&1 || die "docker engine not reachable (is dockerd running? try: systemctl start docker)"
for c in apt-get apt-cache dpkg-deb chroot tar numfmt flock; do
  command -v "$c" >/dev/null || die "$c not found (a Debian host with apt and dpkg is required)"
done
[ -r "$KEYRING" ] || die "$KEYRING missing (apt-get install debian-archive-keyring)"
[ "$(id -u)" = 0 ] || die "must run as root (packages are unpacked and their libraries checked with chroot)"
ARCH=$(dpkg --print-architecture)
# Follow the host's policy on Release-file expiry (some hosts use archive snapshots).
CHECK_VALID_UNTIL=$(apt-config dump Acquire::Check-Valid-Until | sed -n 's/^Acquire::Check-Valid-Until "\(.*\)";$/\1/p')
CHECK_VALID_UNTIL=${CHECK_VALID_UNTIL:-true}
mkdir -p "$CACHE"
# One build at a time per cache (apt runs with its own locking disabled).
exec 9>"$CACHE/.lock"
flock -n 9 || { log "waiting for another build.sh using $CACHE"; flock 9; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/redis-races-build.XXXXXX")
CONTAINER=""
TMP_TAG=""
cleanup() {
  [ -z "$CONTAINER" ] || docker rm -f "$CONTAINER" >/dev/null 2>&1 || true
  [ -z "$TMP_TAG" ] || docker rmi "$TMP_TAG" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# ---------------------------------------------------------------- private apt per suite
# Sets APT_ENV for the suite: an APT_CONFIG file that ignores the host's apt
# configuration, sources, preferences and dpkg status entirely.
apt_setup() {
  local suite=$1 d="$CACHE/$1"
  mkdir -p "$d/lists/partial" "$d/archives/partial" "$d/etc/none"
  [ -e "$d/status" ] || : >"$d/status"
  # The combined keyring plus the per-release ones (older keyring packages may
  # lack a newer release's key in the combined file).
  local keys=$KEYRING k
  for k in /usr/share/keyrings/debian-archive-"$suite"-{stable,automatic,security-automatic}.gpg; do
    [ -r "$k" ] && keys+=",$k"
  done
  {
    echo "deb [signed-by=$keys] $MIRROR $suite main"
    echo "deb [signed-by=$keys] $MIRROR $suite-updates main"
    echo "deb [signed-by=$keys] $SECURITY_MIRROR $suite-security main"
  } >"$d/etc/sources.list"
  cat >"$d/etc/apt.conf" <<EOF
Dir::Etc::Main "/dev/null";
Dir::Etc::Parts "$d/etc/none";
Dir::Etc::SourceList "$d/etc/sources.list";
Dir::Etc::SourceParts "$d/etc/none";
Dir::Etc::Preferences "/dev/null";
Dir::Etc::PreferencesParts "$d/etc/none";
Dir::State "$d";
Dir::State::Lists "$d/lists";
Dir::State::status "$d/status";
Dir::Cache "$d";
Dir::Cache::archives "$d/archives";
Dir::Cache::pkgcache "pkgcache.bin";
Dir::Cache::srcpkgcache "";
Dir::Log "$d";
APT::Architecture "$ARCH";
APT::Architectures { "$ARCH"; };
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT::Sandbox::User "root";
Acquire::Languages "none";
Acquire::GzipIndexes "true";
Acquire::CompressionTypes::Order { "xz"; "gz"; };
Acquire::IndexTargets::deb::DEP-11::DefaultEnabled "false";
Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled "false";
Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled "false";
Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled "false";
Acquire::Check-Valid-Until "$CHECK_VALID_UNTIL";
Debug::NoLocking "true";
EOF
  APT_ENV=(env APT_CONFIG="$d/etc/apt.conf")
}

apt_update() {
  local suite=$1 force=${2:-0} stamp="$CACHE/$1/updated"
  if [ "$force" = 0 ] && [ -f "$stamp" ] && [ $(( $(date +%s) - $(stat -c %Y "$stamp") )) -lt "$APT_MAX_AGE" ]; then
    return 0
  fi
  log "$suite: apt-get update"
  "${APT_ENV[@]}" apt-get -q update >"$WORK/update-$suite.log" 2>&1 \
    || { cat "$WORK/update-$suite.log" >&2; die "apt-get update failed for suite $suite ($MIRROR)"; }
  if grep -qE '^(W|E):' "$WORK/update-$suite.log"; then grep -E '^(W|E):' "$WORK/update-$suite.log" >&2; fi
  touch "$stamp"
}

# Fills the private dpkg status with dependency-less "installed" stanzas for
# INSTALL_TIME_ONLY packages (same version/Provides as the suite's candidate).
fake_status() {
  local d="$CACHE/$1"
  # shellcheck disable=SC2086
  "${APT_ENV[@]}" apt-cache show --no-all-versions $INSTALL_TIME_ONLY 2>/dev/null \
    | awk '/^(Package|Version|Architecture|Multi-Arch|Provides|Essential):/ {print}
           /^$/ {print "Status: install ok installed\n"}' >"$WORK/status" || true
  # Only replace when changed, so apt's binary cache stays valid across runs.
  cmp -s "$WORK/status" "$d/status" || cp "$WORK/status" "$d/status"
}

# Prints "name version" for every package in the closure of $pkg (Depends/Pre-Depends).
resolve_closure() {
  local suite=$1 pkg=$2 out
  out=$("${APT_ENV[@]}" apt-cache policy "$pkg" 2>&1 || true)
  grep -q 'Candidate: [^(]' <<<"$out" || die "package $pkg not found in suite $suite"
  out=$("${APT_ENV[@]}" apt-get -s -q install "$pkg" 2>&1) \
    || { printf '%s\n' "$out" >&2; die "cannot resolve dependencies of $pkg in suite $suite"; }
  printf '%s\n' "$out" | sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*/\1 \2/p'
}

# Downloads the closure into the suite cache; sets CLOSURE ("name version" lines)
# and DEBS (paths of the cached .debs).
fetch_debs() {
  local suite=$1 pkg=$2 d="$CACHE/$1" name ver f missing=0 attempt
  for attempt in 1 2; do
    CLOSURE=$(resolve_closure "$suite" "$pkg")
    [ -n "$CLOSURE" ] || die "empty dependency closure for $pkg in $suite"
    missing=0
    while read -r name ver; do
      [ -f "$d/archives/${name}_${ver//:/%3a}_$ARCH.deb" ] || [ -f "$d/archives/${name}_${ver//:/%3a}_all.deb" ] || missing=1
    done <<<"$CLOSURE"
    [ $missing = 1 ] || break
    log "$suite: downloading $(wc -l <<<"$CLOSURE") packages for $pkg"
    if "${APT_ENV[@]}" apt-get -q -y --download-only install "$pkg" >"$WORK/dl-$suite.log" 2>&1; then
      break
    fi
    [ $attempt = 1 ] || { cat "$WORK/dl-$suite.log" >&2; die "download of $pkg closure from $suite failed"; }
    log "$suite: download failed (stale package lists?), refreshing and retrying"
    apt_update "$suite" 1
    fake_status "$suite"
  done
  DEBS=()
  while read -r name ver; do
    for f in "$d/archives/${name}_${ver//:/%3a}_$ARCH.deb" "$d/archives/${name}_${ver//:/%3a}_all.deb"; do
      [ -f "$f" ] && { DEBS+=("$f"); continue 2; }
    done
    die "$name $ver ($suite) not in cache after download"
  done <<<"$CLOSURE"
}

make_rootfs() {
  local root=$1 bin=$2 deb d
  mkdir -p "$root"
  for deb in "${DEBS[@]}"; do dpkg-deb -x "$deb" "$root"; done
  # merged-/usr layouts (trixie) ship only /usr/...; add the compat links that
  # base-files would normally create (the ELF interpreter is /lib64/ld-linux-*.so.*).
  for d in bin sbin lib lib64; do
    if [ ! -e "$root/$d" ] && [ ! -L "$root/$d" ] && [ -d "$root/usr/$d" ]; then ln -s "usr/$d" "$root/$d"; fi
  done
  # Runtime needs nothing from docs, man pages, translations, maintainer tooling.
  rm -rf "$root"/usr/share/{doc,man,info,locale,lintian,bug,bash-completion,zsh,common-licenses} \
         "$root"/etc/{init.d,logrotate.d,systemd,cron.d} "$root"/lib/systemd "$root"/usr/lib/systemd
  mkdir -p "$root"/{etc,tmp,data,dev,proc,sys,run,var/lib,var/log}
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf 'hosts: files dns\npasswd: files\ngroup: files\n' >"$root/etc/nsswitch.conf"
  chown 65534:65534 "$root/data"
  [ -x "$root/usr/bin/$bin" ] || die "$bin not found in the extracted packages"
  # Every shared library the server needs must resolve inside the rootfs.
  local ldso="" f
  for f in "$root"/lib64/ld-linux*.so.* "$root"/lib/ld-linux*.so.*; do
    { [ -e "$f" ] || [ -L "$f" ]; } && { ldso=${f#"$root"/}; break; }
  done
  [ -n "$ldso" ] || die "no ELF interpreter (ld-linux) in rootfs for $bin"
  local libs
  libs=$(chroot "$root" "/$ldso" --list "/usr/bin/$bin" 2>&1) || { printf '%s\n' "$libs" >&2; die "$bin does not link inside its rootfs"; }
  if grep -q 'not found' <<<"$libs"; then printf '%s\n' "$libs" >&2; die "missing shared libraries for $bin"; fi
}

verify_image() {
  local tag=$1 cli=/usr/bin/${2%-server}-cli port out ver=""
  CONTAINER=$(docker run -d -p 127.0.0.1::6379 "$tag") || die "cannot start a container from $tag"
  port=$(docker port "$CONTAINER" 6379/tcp | sed -n 's/^127\.0\.0\.1:\([0-9]*\)$/\1/p' | head -n1)
  [ -n "$port" ] || die "$tag: port 6379 was not published"
  for _ in $(seq 1 100); do
    out=$(docker exec "$CONTAINER" "$cli" -p 6379 PING 2>/dev/null || true)
    [ "$out" = PONG ] && break
    if [ "$(docker inspect -f '{{.State.Running}}' "$CONTAINER")" != true ]; then
      docker logs "$CONTAINER" >&2 || true; die "$tag: server exited at startup"
    fi
    sleep 0.1
  done
  [ "$out" = PONG ] || { docker logs "$CONTAINER" >&2 || true; die "$tag: no PONG on port $port"; }
  out=$(docker exec "$CONTAINER" "$cli" -p 6379 INFO server | tr -d '\r')
  ver=$(sed -n 's/^valkey_version:\(.*\)/\1/p' <<<"$out")
  [ -n "$ver" ] || ver=$(sed -n 's/^redis_version:\(.*\)/\1/p' <<<"$out")
  log "$tag: PING -> PONG; INFO server: $(grep -E '^(redis|valkey)_version:|^server_name:' <<<"$out" | tr '\n' ' ')"
  docker rm -f "$CONTAINER" >/dev/null; CONTAINER=""
  VERIFIED_VERSION=$ver
}

human() { numfmt --to=iec-i --suffix=B --format='%.1f' "$1" 2>/dev/null || echo "${1}B"; }

# ---------------------------------------------------------------- main
SUMMARY=()
declare -A UPDATED=()
T_ALL=$(date +%s.%N)
for key in "${KEYS[@]}"; do
  spec=""
  for s in "${IMAGES[@]}"; do [ "${s%%|*}" = "$key" ] && spec=$s; done
  IFS='|' read -r _ tag suite pkg bin expected <<<"$spec"
  [ -z "$TAG_OVERRIDE" ] || tag=$TAG_OVERRIDE
  t0=$(date +%s.%N)
  if [ $FORCE = 0 ] && docker image inspect "$tag" >/dev/null 2>&1; then
    status=skipped
    version=$(docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.version"}}' "$tag")
    [ -n "$version" ] && [ "$version" != "<no value>" ] || version="?"
  else
    log "$tag: $pkg from Debian $suite"
    apt_setup "$suite"
    [ -n "${UPDATED[$suite]:-}" ] || { apt_update "$suite"; fake_status "$suite"; UPDATED[$suite]=1; }
    fetch_debs "$suite" "$pkg"
    debver=$(awk -v p="$pkg" '$1==p {print $2}' <<<"$CLOSURE")
    upstream=${debver#*:}; upstream=${upstream%%[-+]*}
    if [ "$upstream" != "$expected" ]; then
      log "NOTE: $suite has $pkg $debver (upstream $upstream), expected $expected; using $upstream"
    fi
    log "$tag: $pkg $debver, closure of ${#DEBS[@]} packages: $(awk '{printf "%s ", $1}' <<<"$CLOSURE")"
    root="$WORK/$key/rootfs"
    make_rootfs "$root" "$bin"
    entry=$(printf '"%s",' "/usr/bin/$bin" "${SERVER_ARGS[@]}"); entry="[${entry%,}]"
    log "$tag: importing rootfs ($(du -sh "$root" | cut -f1))"
    # Import under a temporary tag; the real tag only moves once the image answers.
    TMP_TAG="$tag-candidate.$$"
    old_id=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)
    tar --numeric-owner -C "$root" -c . | docker import \
      --change "ENTRYPOINT $entry" \
      --change 'EXPOSE 6379' \
      --change 'WORKDIR /data' \
      --change 'USER 65534:65534' \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change "LABEL org.opencontainers.image.version=\"$upstream\"" \
      --change "LABEL org.opencontainers.image.source=\"debian:$suite/$pkg=$debver\"" \
      --change "LABEL org.opencontainers.image.title=\"$tag\"" \
      -m "redis-races: $pkg $debver from Debian $suite" \
      - "$TMP_TAG" >/dev/null || die "docker import failed for $tag"
    rm -rf "${WORK:?}/$key"
    verify_image "$TMP_TAG" "$bin"
    [ "$VERIFIED_VERSION" = "$upstream" ] || die "$tag reports version $VERIFIED_VERSION, package is $upstream"
    docker tag "$TMP_TAG" "$tag"
    docker rmi "$TMP_TAG" >/dev/null; TMP_TAG=""
    # Drop the image this one replaced (--force), unless something still uses it.
    if [ -n "$old_id" ] && [ "$old_id" != "$(docker image inspect -f '{{.Id}}' "$tag")" ]; then
      docker rmi "$old_id" >/dev/null 2>&1 || true
    fi
    version=$VERIFIED_VERSION
    status=built
  fi
  size=$(docker image inspect -f '{{.Size}}' "$tag")
  secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
  SUMMARY+=("$(printf '%-24s %-8s %-8s %9s %7ss' "$tag" "$status" "$version" "$(human "$size")" "$secs")")
done

total=$(awk -v a="$T_ALL" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
printf '\n%-24s %-8s %-8s %9s %8s\n' IMAGE STATUS VERSION SIZE TIME
printf '%s\n' "${SUMMARY[@]}"
printf 'total %ss (cache: %s)\n' "$total" "$CACHE"
