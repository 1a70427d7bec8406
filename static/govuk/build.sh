#!/usr/bin/env sh
# Rebuilds the GOV.UK Frontend assets committed beside this script. Needs Node.js and npm, and is only
# run by a developer updating the version: installing or running the project never calls npm.
# Usage: static/govuk/build.sh 5.14.0
set -eu
version=${1:?give the govuk-frontend version, e.g. 5.14.0}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --silent "govuk-frontend@$version" sass@1
cp "$here/council.scss" app.scss
npx sass --style=compressed --no-source-map --quiet-deps app.scss "$here/govuk-frontend.min.css"
dist=node_modules/govuk-frontend/dist/govuk
cp "$dist/govuk-frontend.min.js" "$here/"
rm -rf "$here/assets" && mkdir -p "$here/assets"
cp -r "$dist/assets/images" "$dist/assets/manifest.json" "$here/assets/"
echo "$version" > "$here/VERSION"
echo "GOV.UK Frontend $version built into $here"
