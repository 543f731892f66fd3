#!/usr/bin/env bash
# Regenerates testdata/npm/projects/*/package-lock.json with the real npm.
#
# Needs network: the public npm registry for the real-package projects, and
# npm@6 (through npx) for the v1 project. The synthetic projects are resolved
# against the test registry (internal/testregistry/cmd/testregistry).
# npm's user and global config are isolated so no machine .npmrc leaks in.
#
# usage: testdata/npm/regen.sh [project...]     (default: all)
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
PROJECTS=$ROOT/testdata/npm/projects
WORK=$(mktemp -d)
REGPID=
cleanup() {
	if [ -n "$REGPID" ]; then kill "$REGPID" 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$WORK/home"
: >"$WORK/home/npmrc"
: >"$WORK/home/global-npmrc"

npmx() {
	HOME=$WORK/home npm_config_userconfig=$WORK/home/npmrc \
		npm_config_globalconfig=$WORK/home/global-npmrc \
		npm --cache "$WORK/cache" --no-audit --no-fund --update-notifier=false \
		--ignore-scripts "$@"
}

# stage copies a project (without lockfile or node_modules) to a scratch dir.
stage() {
	rm -rf "$WORK/$1"
	mkdir -p "$WORK/$1"
	(cd "$PROJECTS/$1" && tar cf - --exclude=node_modules --exclude=package-lock.json .) |
		(cd "$WORK/$1" && tar xf -)
	cd "$WORK/$1"
}

keep() { cp "$WORK/$1/package-lock.json" "$PROJECTS/$1/package-lock.json"; echo "regenerated $1"; }

PUBLIC=https://registry.npmjs.org/

gen_basic() { # lockfileVersion 3, no resolved
	stage basic
	npmx install --registry=$PUBLIC --omit-lockfile-registry-resolved=true
	keep basic
}

gen_resolved() { # lockfileVersion 2 with resolved URLs
	stage resolved
	npmx install --registry=$PUBLIC --omit-lockfile-registry-resolved=false --lockfile-version=2
	keep resolved
}

gen_workspaces() {
	stage workspaces
	npmx install --registry=$PUBLIC --omit-lockfile-registry-resolved=true
	keep workspaces
}

gen_v1() { # npm 6 writes lockfileVersion 1
	stage v1
	HOME=$WORK/home npm_config_userconfig=$WORK/home/npmrc \
		npm_config_globalconfig=$WORK/home/global-npmrc \
		npx -y npm@6 install --package-lock-only --ignore-scripts --no-audit \
		--registry=$PUBLIC --cache "$WORK/cache6"
	keep v1
}

# gen_git_dep resolves the git dependency from a local repository holding
# is-number 7.0.0 (no git host is reachable here), then rewrites the spec and
# resolved URL to the form npm writes for "github:jonschlinkert/is-number"
# (arborist's consistent-resolve: git+ssh://git@github.com/<o>/<r>.git#<sha>).
# The commit is deterministic but is NOT a commit of the real GitHub repo.
gen_git_dep() {
	local repo=$WORK/gitsrc/is-number
	mkdir -p "$repo"
	tar xzf "$ROOT/internal/testregistry/tarballs/is-number-7.0.0.tgz" -C "$repo" --strip-components=1
	(
		cd "$repo"
		export GIT_AUTHOR_NAME=airlock GIT_AUTHOR_EMAIL=fixtures@airlock.invalid \
			GIT_COMMITTER_NAME=airlock GIT_COMMITTER_EMAIL=fixtures@airlock.invalid \
			GIT_AUTHOR_DATE=2020-01-01T00:00:00Z GIT_COMMITTER_DATE=2020-01-01T00:00:00Z
		git init -q && git add -A && git commit -qm "is-number 7.0.0"
	)
	stage git-dep
	node -e '
		const fs = require("fs"); const p = JSON.parse(fs.readFileSync("package.json"));
		p.dependencies["is-number"] = "git+file://" + process.argv[1];
		fs.writeFileSync("package.json", JSON.stringify(p, null, 2) + "\n")' "$repo"
	npmx install --registry=$PUBLIC --omit-lockfile-registry-resolved=true
	node -e '
		const fs = require("fs"); const l = JSON.parse(fs.readFileSync("package-lock.json"));
		const e = l.packages["node_modules/is-number"];
		const sha = e.resolved.split("#")[1];
		if (!/^[0-9a-f]{40}$/.test(sha)) throw new Error("unexpected resolved " + e.resolved);
		e.resolved = "git+ssh://git@github.com/jonschlinkert/is-number.git#" + sha;
		l.packages[""].dependencies["is-number"] = "github:jonschlinkert/is-number";
		fs.writeFileSync("package-lock.json", JSON.stringify(l, null, 2) + "\n")'
	keep git-dep
}

start_testregistry() {
	[ -n "$REGPID" ] && return
	(cd "$ROOT" && go build -o "$WORK/testregistry" ./internal/testregistry/cmd/testregistry)
	"$WORK/testregistry" >"$WORK/registry.out" &
	REGPID=$!
	for _ in $(seq 50); do
		grep -q '^cafile=' "$WORK/registry.out" 2>/dev/null && break
		sleep 0.1
	done
	TESTREG=$(sed -n 's/^registry=//p' "$WORK/registry.out")
	TESTCA=$(sed -n 's/^cafile=//p' "$WORK/registry.out")
}

# Projects of synthetic packages: resolved against the test registry. With
# omit-lockfile-registry-resolved the lockfile records no test-registry URL,
# only integrity, which is the same for the real tarballs it also serves.
gen_synthetic() {
	start_testregistry
	stage "$1"
	npmx install --registry="$TESTREG" --cafile="$TESTCA" --omit-lockfile-registry-resolved=true
	keep "$1"
}

ALL="basic resolved workspaces optional-platform bundled scripts layout v1 git-dep"
for p in ${@:-$ALL}; do
	case $p in
	basic) gen_basic ;;
	resolved) gen_resolved ;;
	workspaces) gen_workspaces ;;
	v1) gen_v1 ;;
	git-dep) gen_git_dep ;;
	optional-platform | bundled | scripts | layout) gen_synthetic "$p" ;;
	*) echo "unknown project $p" >&2; exit 2 ;;
	esac
	cd "$ROOT"
done
