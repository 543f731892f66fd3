package pnpm

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sort"

	"github.com/airlock-dev/airlock/lock"
)

// ErrOutOfSync: an importer's package.json and the lockfile disagree
// (pnpm's ERR_PNPM_OUTDATED_LOCKFILE under --frozen-lockfile).
var ErrOutOfSync = errors.New("pnpm-lock.yaml is not up to date with package.json")

// CheckInSync is pnpm's satisfiesPackageManifest, which --frozen-lockfile
// enforces: for every importer, the dependencies, devDependencies and
// optionalDependencies of its package.json (manifests, keyed by importer
// ID) must be exactly the lockfile's specifiers, each under the same
// dependency type. With autoInstallPeers (the lockfile's setting, pnpm's
// default) peer dependencies not listed elsewhere count as dependencies.
func CheckInSync(lf *Lockfile, manifests map[string][]byte) error {
	autoPeers := lf.Settings["autoInstallPeers"] != "false"
	for _, imp := range lf.Importers {
		raw, ok := manifests[imp.ID]
		if !ok {
			return fmt.Errorf("%w: no package.json for importer %s", ErrOutOfSync, imp.ID)
		}
		var m struct {
			Dependencies         map[string]string `json:"dependencies"`
			DevDependencies      map[string]string `json:"devDependencies"`
			OptionalDependencies map[string]string `json:"optionalDependencies"`
			PeerDependencies     map[string]string `json:"peerDependencies"`
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("%s/package.json: %w", imp.ID, err)
		}
		if autoPeers && len(m.PeerDependencies) > 0 {
			deps := map[string]string{}
			for k, v := range m.PeerDependencies {
				_, dev := m.DevDependencies[k]
				_, opt := m.OptionalDependencies[k]
				if !dev && !opt {
					deps[k] = v
				}
			}
			maps.Copy(deps, m.Dependencies)
			m.Dependencies = deps
		}
		where := imp.ID + "/package.json"
		if imp.ID == "." {
			where = "package.json"
		}
		fail := func(format string, args ...any) error {
			return fmt.Errorf("%w: %s: %s; run `pnpm install` to update the lockfile, review it and commit it", ErrOutOfSync, where, fmt.Sprintf(format, args...))
		}
		want := map[string]string{}
		for _, d := range [][]Dep{imp.Dependencies, imp.Dev, imp.Optional} {
			for _, x := range d {
				want[x.Alias] = x.Specifier
			}
		}
		have := map[string]string{}
		maps.Copy(have, m.DevDependencies)
		maps.Copy(have, m.Dependencies)
		maps.Copy(have, m.OptionalDependencies)
		if !maps.Equal(have, want) {
			return fail("%s", lock.SpecDiff(want, have))
		}
		for _, f := range []struct {
			name string
			pkg  map[string]string
			lock []Dep
		}{
			{"dependencies", m.Dependencies, imp.Dependencies},
			{"devDependencies", m.DevDependencies, imp.Dev},
			{"optionalDependencies", m.OptionalDependencies, imp.Optional},
		} {
			var names []string
			for n := range f.pkg {
				_, opt := m.OptionalDependencies[n]
				_, dep := m.Dependencies[n]
				if (f.name == "dependencies" && opt) || (f.name == "devDependencies" && (opt || dep)) {
					continue
				}
				names = append(names, n)
			}
			sort.Strings(names)
			inLock := map[string]bool{}
			for _, d := range f.lock {
				inLock[d.Alias] = true
			}
			for _, n := range names {
				if !inLock[n] {
					return fail("%s %q is not among the lockfile's %s", f.name, n, f.name)
				}
			}
			if len(names) != len(f.lock) {
				return fail("the lockfile's %s list %d packages, package.json %d", f.name, len(f.lock), len(names))
			}
		}
	}
	return nil
}
