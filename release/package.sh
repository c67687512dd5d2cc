#!/usr/bin/env bash
# Pack one target's budgetctl binary as a release archive with its .sha256:
#   release/package.sh TARGET TAG BINARY OUTDIR
# writes OUTDIR/budgetctl-TAG-TARGET.tar.gz (.zip for Windows targets, as
# release/targets.json says) holding budgetctl-TAG-TARGET/ with the binary,
# README.md, CHANGELOG.md and LICENSE files, and beside it the archive's
# .sha256 (`<hex>  <name>`, as sha256sum writes it). The release workflow,
# cargo-binstall's template (crates/cli/Cargo.toml) and the setup action
# (action.yml) all name archives this way; tests/cli_release.rs checks
# that they agree.
set -euo pipefail

target=${1:?usage: package.sh TARGET TAG BINARY OUTDIR}
tag=${2:?usage: package.sh TARGET TAG BINARY OUTDIR}
binary=${3:?usage: package.sh TARGET TAG BINARY OUTDIR}
outdir=${4:?usage: package.sh TARGET TAG BINARY OUTDIR}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
format=$(node -e '
  const [file, target] = process.argv.slice(1);
  const t = require(file).find((t) => t.target === target);
  if (!t) { console.error(`${target} is not in release/targets.json`); process.exit(1); }
  console.log(t.archive);
' "$here/release/targets.json" "$target")

name="budgetctl-$tag-$target"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/$name" "$outdir"
case "$target" in
  *windows*) cp "$binary" "$work/$name/budgetctl.exe" ;;
  *) cp "$binary" "$work/$name/budgetctl"; chmod 755 "$work/$name/budgetctl" ;;
esac
for doc in README.md CHANGELOG.md LICENSE LICENSE-*; do
  if [ -f "$here/$doc" ]; then cp "$here/$doc" "$work/$name/"; fi
done

outdir=$(cd "$outdir" && pwd)
case "$format" in
  tar.gz) (cd "$work" && tar -czf "$outdir/$name.tar.gz" "$name") ;;
  zip) (cd "$work" && if command -v 7z >/dev/null; then 7z a -tzip -bd "$outdir/$name.zip" "$name" >/dev/null; else zip -qr "$outdir/$name.zip" "$name"; fi) ;;
  *) echo "unknown archive format $format for $target" >&2; exit 1 ;;
esac
archive="$name.$format"
if command -v sha256sum >/dev/null; then
  (cd "$outdir" && sha256sum "$archive" > "$archive.sha256")
else
  (cd "$outdir" && shasum -a 256 "$archive" > "$archive.sha256")
fi
echo "$outdir/$archive"
