#!/bin/bash
# Re-records <fixture>/npm-ci.golden: what real `npm ci --ignore-scripts` puts
# on disk for each flag set in <fixture>/npm-ci.flags (one set per line).
# Needs node, npm and the registry; the Go tests only read the goldens.
#
# usage: ./record-npm-ci.sh [fixture...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
fixtures=("$@")
if [ ${#fixtures[@]} -eq 0 ]; then
  fixtures=($(cd "$here" && ls -d */ | tr -d / ))
fi
for fx in "${fixtures[@]}"; do
  [ -f "$here/$fx/npm-ci.flags" ] || continue
  out="$here/$fx/npm-ci.golden"
  echo "# npm $(npm --version), node $(node --version), $(uname -sm)" > "$out"
  while IFS= read -r flags || [ -n "$flags" ]; do
    work=$(mktemp -d)
    cp -r "$here/$fx/." "$work/"
    rm -f "$work/npm-ci.flags" "$work/npm-ci.golden"
    echo "## $flags" >> "$out"
    # shellcheck disable=SC2086
    if (cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --cache "$cache" $flags > "$work.log" 2>&1); then
      (cd "$work" && python3 - <<'PY'
import os
out = []
for root, dirs, files in os.walk('.'):
    rel = os.path.relpath(root, '.')
    for d in dirs:
        p = os.path.join(root, d)
        if os.path.islink(p):
            out.append(os.path.relpath(p, '.') + ' -> ' + os.readlink(p))
    parts = rel.split(os.sep)
    if rel == '.' or 'package.json' not in files:
        continue
    if len(parts) >= 2 and (parts[-2] == 'node_modules' or (len(parts) >= 3 and parts[-3] == 'node_modules' and parts[-2].startswith('@'))):
        out.append(rel)
    elif 'node_modules' not in parts:
        out.append(rel + ' (dir)')
for line in sorted(out):
    print(line)
PY
      ) >> "$out"
    else
      echo "ERROR $(grep -o 'npm error code [A-Z]*' "$work.log" | head -1 | awk '{print $4}')" >> "$out"
    fi
    rm -rf "$work" "$work.log"
  done < "$here/$fx/npm-ci.flags"
done
