#!/bin/sh
# Install GraphiQL's browser files into gateway/graphql/static/vendor/, from the npm registry.
#
# The gateway serves GraphiQL itself (no CDN), so it works without internet access; these
# files are fetched once, at set-up (`make install` runs this script), and never committed.
# Versions are pinned; `npm pack` checks each tarball against the registry's integrity hash.
# Without npm the script only warns: the API works without GraphiQL.
set -eu

GRAPHIQL_VERSION=3.9.0
REACT_VERSION=18.3.1

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/gateway/graphql/static/vendor"
manifest="$dest/VERSIONS"
wanted="graphiql@$GRAPHIQL_VERSION react@$REACT_VERSION react-dom@$REACT_VERSION"

if [ -f "$manifest" ] && [ "$(cat "$manifest")" = "$wanted" ]; then
    echo "GraphiQL files are up to date ($wanted)."
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "warning: npm not found, GraphiQL's files are not installed; the API works without" >&2
    echo "them. Install Node.js (npm), then run scripts/install_graphiql.sh." >&2
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "Fetching $wanted from the npm registry ..."
(cd "$work" && npm pack --silent "graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" \
    "react-dom@$REACT_VERSION" >/dev/null)

unpack() {  # unpack TARBALL NAME: extract the package as $work/NAME
    mkdir -p "$work/$2"
    tar -xzf "$work/$1" -C "$work/$2" --strip-components=1
}
unpack "graphiql-$GRAPHIQL_VERSION.tgz" graphiql
unpack "react-$REACT_VERSION.tgz" react
unpack "react-dom-$REACT_VERSION.tgz" react-dom

staging="$dest.new"
rm -rf "$staging"
mkdir -p "$staging"
cp "$work/graphiql/graphiql.min.js" "$work/graphiql/graphiql.min.css" "$staging/"
cp "$work/react/umd/react.production.min.js" "$staging/"
cp "$work/react-dom/umd/react-dom.production.min.js" "$staging/"
cp "$work/graphiql/LICENSE" "$staging/LICENSE.graphiql"
cp "$work/react/LICENSE" "$staging/LICENSE.react"
cp "$work/react-dom/LICENSE" "$staging/LICENSE.react-dom"
printf '%s\n' "$wanted" >"$staging/VERSIONS"
rm -rf "$dest"
mv "$staging" "$dest"
echo "Installed GraphiQL's files in ${dest#"$root"/}."
