#!/usr/bin/env bash
# The section of CHANGELOG.md (keep-a-changelog) for a tag, as a release's
# notes: release/notes.sh v0.1.0 CHANGELOG.md. Fails when the changelog has
# no section for the tag, so that no release goes out without notes.
set -euo pipefail
tag=${1:?usage: notes.sh TAG CHANGELOG}
changelog=${2:?usage: notes.sh TAG CHANGELOG}
version=${tag#v}
notes=$(awk -v v="$version" '
  /^## \[/ { if (found) exit; if (index($0, "## [" v "]") == 1) { found = 1; next } }
  found { print }
' "$changelog")
if [ -z "${notes//[$'\n\t ']/}" ]; then
  echo "CHANGELOG.md has no section for $version: add one before tagging $tag" >&2
  exit 1
fi
printf '%s\n' "$notes"
