#!/usr/bin/env bash
# Regenerates the real-package fixtures in this directory from the npm registry:
# each package's tarball (exactly as the registry serves it) and a .golden listing
# of what `npm ci --ignore-scripts` lays out for it. Needs node, npm and network.
# Run from anywhere: unpack/testdata/npm/gen-golden.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 022

# The fixtures, chosen for what they exercise:
#   semver@7.6.3      modern npm pack output, nested dirs, a bin (bin/semver.js, 0644 in the tarball)
#   mkdirp@0.5.1      2015 tarball with uid/gid/mtime set, a bin already 0755
#   minimist@0.0.8    2014 tarball (mkdirp's dependency)
#   qs@0.6.6          2013 tarball that ships a .npmignore
#   @types/ms@0.7.30  first path segment is "ms/", not "package/"
#   json5@1.0.2       bin lib/cli.js is 0644 in the tarball: npm ci makes it 0755
#   minimist@1.2.8    json5's dependency, installed nested
#   @rollup/pluginutils@5.5.1  holds dist/cjs/index.js twice (as "package/./dist/cjs/index.js" too), same bytes
deps='"semver":"7.6.3","mkdirp":"0.5.1","minimist":"0.0.8","qs":"0.6.6","@types/ms":"0.7.30","json5":"1.0.2","@rollup/pluginutils":"5.5.1"'

cd "$work"
printf '{"name":"fixtures","version":"1.0.0","dependencies":{%s}}\n' "$deps" > package.json
npm install --package-lock-only --ignore-scripts --no-audit --no-fund --cache "$work/cache" >/dev/null
npm ci --ignore-scripts --no-audit --no-fund --cache "$work/cache" >/dev/null
cp package-lock.json "$here/package-lock.json"

# listing prints one line per file or directory below $1, skipping nested
# node_modules: "d <mode> <path>" or "f <mode> <sha256> <path>".
listing() {
  (cd "$1" && find . -mindepth 1 -path ./node_modules -prune -o -print | LC_ALL=C sort | while read -r p; do
    p=${p#./}
    if [ -d "$p" ]; then
      printf 'd %s %s\n' "$(stat -c %04a "$p")" "$p"
    else
      printf 'f %s %s %s\n' "$(stat -c %04a "$p")" "$(sha256sum "$p" | cut -d' ' -f1)" "$p"
    fi
  done)
}

for key in $(node -e 'const l=require("./package-lock.json");for(const k of Object.keys(l.packages))if(k)console.log(k)'); do
  name=${key##*node_modules/}
  version=$(node -e "console.log(require('./package-lock.json').packages['$key'].version)")
  integrity=$(node -e "console.log(require('./package-lock.json').packages['$key'].integrity)")
  file=$(npm pack "$name@$version" --json --cache "$work/cache" --pack-destination "$work" 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].filename))')
  # The tarball npm pack fetched must be the one npm ci installed.
  got="sha512-$(openssl dgst -sha512 -binary "$work/$file" | base64 -w0)"
  [ "$got" = "$integrity" ] || { echo "$file: integrity $got, lockfile says $integrity" >&2; exit 1; }
  cp "$work/$file" "$here/$file"
  listing "$work/$key" > "$here/$file.golden"
  echo "$file $integrity"
done
