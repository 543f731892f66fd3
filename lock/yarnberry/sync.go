package yarnberry

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrOutOfSync: a workspace's package.json declares dependencies the
// lockfile does not record (yarn install --immutable refuses the same).
var ErrOutOfSync = errors.New("yarn.lock is out of date with package.json")

// Manifest is what airlock reads from a workspace's package.json.
type Manifest struct {
	Name                 string            `json:"name"`
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
	// InstallConfig.HoistingLimits changes yarn's layout, which airlock
	// does not reproduce; callers refuse it.
	InstallConfig struct {
		HoistingLimits string `json:"hoistingLimits"`
		SelfReferences *bool  `json:"selfReferences"`
	} `json:"installConfig"`
}

// ReadManifest parses a package.json.
func ReadManifest(data []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("package.json: %w", err)
	}
	return &m, nil
}

// CheckInSync compares every workspace's manifest (keyed by workspace
// path, "." for the root) with its lockfile entry: the same dependency
// names (dependencies, devDependencies and optionalDependencies together,
// as yarn records them) with the same ranges (yarn writes a semver range
// or tag with its npm: protocol), and the same peer dependencies.
func CheckInSync(lf *Lockfile, manifests map[string]*Manifest) error {
	for _, ws := range lf.Workspaces() {
		p := ws.WorkspacePath()
		m, ok := manifests[p]
		if !ok {
			return fmt.Errorf("%w: no package.json for workspace %s (%s)", ErrOutOfSync, ws.Locator.Name, p)
		}
		where := p + "/package.json"
		if p == "." {
			where = "package.json"
		}
		want := map[string]string{}
		for _, deps := range []map[string]string{m.Dependencies, m.DevDependencies, m.OptionalDependencies} {
			for k, v := range deps {
				want[k] = v
			}
		}
		if err := sameDeps(where, "dependencies", want, ws.Dependencies); err != nil {
			return err
		}
		if err := sameDeps(where, "peerDependencies", m.PeerDependencies, ws.PeerDependencies); err != nil {
			return err
		}
	}
	return nil
}

func sameDeps(where, field string, want map[string]string, got []Dep) error {
	have := map[string]string{}
	for _, d := range got {
		have[d.Name] = d.Range
	}
	var names []string
	for k := range want {
		names = append(names, k)
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		w, inManifest := want[n]
		h, inLock := have[n]
		switch {
		case !inLock:
			return fmt.Errorf("%w: %s lists %s %q in %s, which yarn.lock does not record; run `yarn install` and commit yarn.lock", ErrOutOfSync, where, n, w, field)
		case !inManifest:
			return fmt.Errorf("%w: yarn.lock records %s %q for %s, which it no longer lists in %s; run `yarn install` and commit yarn.lock", ErrOutOfSync, n, h, where, field)
		case h != w && h != "npm:"+w && !strings.HasPrefix(h, w+"::"):
			return fmt.Errorf("%w: %s wants %s %q in %s, yarn.lock records %q; run `yarn install` and commit yarn.lock", ErrOutOfSync, where, n, w, field, h)
		}
	}
	return nil
}
