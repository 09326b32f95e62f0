#!/usr/bin/env bash
# Prints the Debian mirror (for bookworm's `main`) that this machine's apt is configured with, so that the container
# base (scripts/container-image.sh) is bootstrapped from a host known to be reachable here rather than a fixed one.
#
#   scripts/debian-mirror.sh [apt-dir]     apt-dir defaults to /etc/apt
#
# Reads deb822 `*.sources` files (`URIs:` of a stanza whose `Suites:` has bookworm) first, then one-line `deb`
# sources. Prints http://deb.debian.org/debian when the machine names none.
set -euo pipefail
apt=${1:-/etc/apt}
shopt -s nullglob
for file in "$apt"/sources.list.d/*.sources; do
  uri=$(awk 'BEGIN { RS = ""; FS = "\n" }
    { uri = ""; suites = ""
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^URIs:/) { split($i, f, /[ \t]+/); uri = f[2] }
        if ($i ~ /^Suites:/) suites = $i " "
      }
      if (uri != "" && suites ~ /[ \t]bookworm[ \t]/) { print uri; exit } }' "$file")
  [[ -n $uri ]] && { printf '%s\n' "$uri"; exit 0; }
done
for file in "$apt"/sources.list "$apt"/sources.list.d/*.list; do
  [[ -f $file ]] || continue
  uri=$(awk '$1 == "deb" && $0 ~ /[ \t]bookworm[ \t]/ && $0 ~ /[ \t]main([ \t]|$)/ {
    for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { print $i; exit } }' "$file")
  [[ -n $uri ]] && { printf '%s\n' "$uri"; exit 0; }
done
printf '%s\n' http://deb.debian.org/debian
