#!/bin/sh
# update.sh re-fetches the pinned swagger-ui-dist from npm and copies the built files the gateway embeds
# into dist/. The copied files are committed, so a fresh clone builds offline without npm; run this (or
# `make swagger-ui`) only to change the version, then commit dist/ together with the new VERSION below.
set -eu

VERSION=5.35.0
FILES="swagger-ui.css swagger-ui-bundle.js swagger-ui-standalone-preset.js favicon-32x32.png index.css LICENSE"

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "swagger-ui-dist@$VERSION" >/dev/null)
tar -xzf "$tmp/swagger-ui-dist-$VERSION.tgz" -C "$tmp"

mkdir -p "$here/dist"
for f in $FILES; do
	if [ -f "$tmp/package/$f" ]; then
		cp "$tmp/package/$f" "$here/dist/$f"
	elif [ "$f" != index.css ]; then # index.css is optional: older releases do not ship it
		echo "swagger-ui-dist@$VERSION has no $f" >&2
		exit 1
	fi
done
echo "$VERSION" >"$here/dist/VERSION"
echo "swagger-ui-dist@$VERSION copied to $here/dist"
