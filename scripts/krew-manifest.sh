#!/usr/bin/env bash
# Writes the krew manifest of a release to stdout: plugin.yaml with the release version
# in spec.version and in every platform's uri, and each platform's sha256 computed from
# the archive that uri names, found in DIST_DIR.
#
#   scripts/krew-manifest.sh DIST_DIR [VERSION] > gitops.yaml
#
# VERSION defaults to the crate version in Cargo.toml (with or without a leading v).
# KREW_BASE_URL replaces the download prefix (default: the GitHub releases of
# kubectl-gitops), for forks and mirrors. Every archive must exist and hold the
# `kubectl-gitops` binary at its top level, as the manifest's `bin` says.
set -euo pipefail

usage() {
  echo "usage: $0 DIST_DIR [VERSION]" >&2
  exit 2
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
dist=$1
root=$(cd "$(dirname "$0")/.." && pwd)
manifest="$root/plugin.yaml"
[ -d "$dist" ] || { echo "$0: $dist is not a directory" >&2; exit 2; }

if [ $# -eq 2 ]; then
  version=${2#v}
else
  version=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' "$root/Cargo.toml" | head -n 1)
fi
case $version in
  '' | *[!0-9A-Za-z.+-]*) echo "$0: invalid version '$version'" >&2; exit 2 ;;
esac

old=$(sed -n 's/^  version: *v\{0,1\}\([^ ]*\) *$/\1/p' "$manifest" | head -n 1)
[ -n "$old" ] || { echo "$0: no spec.version in $manifest" >&2; exit 1; }

default_base=https://github.com/kubectl-gitops/kubectl-gitops/releases/download
base=${KREW_BASE_URL:-$default_base}
base=${base%/}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

status=0
sha=
out=
while IFS= read -r line || [ -n "$line" ]; do
  case $line in
    "  version: "*)
      line="  version: v$version"
      ;;
    *"uri: "*)
      indent=${line%%uri: *}
      uri=${line#*uri: }
      uri=${uri//\/v$old\//\/v$version\/}
      uri=${uri//-v$old-/-v$version-}
      uri=${uri/#$default_base/$base}
      archive="$dist/${uri##*/}"
      if [ ! -f "$archive" ]; then
        echo "$0: missing archive $archive (for $uri)" >&2
        status=1
        sha=MISSING
      elif ! tar -tzf "$archive" | grep -x '\(\./\)\{0,1\}kubectl-gitops' >/dev/null; then
        echo "$0: $archive does not hold kubectl-gitops at its top level" >&2
        status=1
        sha=MISSING
      else
        sha=$(sha256 "$archive")
      fi
      line="${indent}uri: $uri"
      ;;
    *"sha256: "*)
      indent=${line%%sha256: *}
      if [ -z "$sha" ]; then
        echo "$0: a sha256 before its uri in $manifest" >&2
        status=1
      fi
      line="${indent}sha256: \"$sha\""
      sha=
      ;;
  esac
  out+="$line"$'\n'
done < "$manifest"
# Nothing on stdout unless every archive was found: a half-filled manifest is no manifest.
[ $status -eq 0 ] || exit $status
printf '%s' "$out"
