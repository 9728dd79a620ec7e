#!/usr/bin/env bash
# vendor-axe.sh fetches axe-core's axe.min.js (MPL-2.0) from the npm registry
# into testdata/, where the browser harness embeds it: accessibility checks
# then run with no CDN and no network. Run it to move to another version:
#   browsertest/vendor-axe.sh 4.14.1
set -euo pipefail
cd "$(dirname "$0")"
version=${1:-4.14.1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "axe-core@$version" >/dev/null && tar -xzf "axe-core-$version.tgz" package/axe.min.js package/LICENSE)
cp "$tmp/package/axe.min.js" testdata/axe.min.js
cp "$tmp/package/LICENSE" testdata/axe-core.LICENSE
echo "$version" > testdata/axe-core.VERSION
echo "vendored axe-core $version into $(pwd)/testdata"
