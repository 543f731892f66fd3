package bun

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/airlock-dev/airlock/lock"
)

// ErrOutOfSync: package.json and bun.lock disagree (what `bun install
// --frozen-lockfile` reports as "lockfile had changes, but lockfile is
// frozen").
var ErrOutOfSync = errors.New("bun.lock is not up to date with package.json")

// CheckInSync is the comparison behind --frozen-lockfile: the workspaces
// the root package.json declares (workspaceDirs, found by the caller from
// its "workspaces" patterns) must be exactly the lockfile's, and for the
// root and every workspace, the name and the dependencies,
// devDependencies, optionalDependencies and peerDependencies of its
// package.json (manifests, keyed by workspace path, "" for the root) must
// be exactly what the lockfile's workspaces section recorded.
func CheckInSync(lf *Lockfile, manifests map[string][]byte, workspaceDirs []string) error {
	fix := "; run `bun install` to update bun.lock, review it and commit it"
	var locked []string
	for _, w := range lf.Workspaces[1:] {
		locked = append(locked, w.Path)
	}
	slices.Sort(locked)
	dirs := slices.Sorted(slices.Values(workspaceDirs))
	if !slices.Equal(locked, dirs) {
		return fmt.Errorf("%w: package.json's workspaces are %s, the lockfile's %s%s", ErrOutOfSync, listOrNone(dirs), listOrNone(locked), fix)
	}
	for _, w := range lf.Workspaces {
		where := "package.json"
		if w.Path != "" {
			where = w.Path + "/package.json"
		}
		raw, ok := manifests[w.Path]
		if !ok {
			return fmt.Errorf("%w: no %s", ErrOutOfSync, where)
		}
		var m struct {
			Name                 string            `json:"name"`
			Dependencies         map[string]string `json:"dependencies"`
			DevDependencies      map[string]string `json:"devDependencies"`
			OptionalDependencies map[string]string `json:"optionalDependencies"`
			PeerDependencies     map[string]string `json:"peerDependencies"`
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if w.Path != "" && m.Name != w.Name {
			return fmt.Errorf("%w: %s names the package %q, the lockfile %q%s", ErrOutOfSync, where, m.Name, w.Name, fix)
		}
		for _, g := range []struct {
			name      string
			pkg, lock map[string]string
		}{
			{"dependencies", m.Dependencies, w.Dependencies},
			{"devDependencies", m.DevDependencies, w.DevDependencies},
			{"optionalDependencies", m.OptionalDependencies, w.OptionalDependencies},
			{"peerDependencies", m.PeerDependencies, w.PeerDependencies},
		} {
			if !maps.Equal(g.pkg, g.lock) && (len(g.pkg) > 0 || len(g.lock) > 0) {
				return fmt.Errorf("%w: %s: %s: %s%s", ErrOutOfSync, where, g.name, lock.SpecDiff(g.lock, g.pkg), fix)
			}
		}
	}
	return nil
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

// WorkspacePatterns reads the "workspaces" field of a root package.json:
// an array of patterns, or an object with a "packages" array (bun accepts
// both).
func WorkspacePatterns(rootPackageJSON []byte) ([]string, error) {
	var m struct {
		Workspaces json.RawMessage `json:"workspaces"`
	}
	if err := json.Unmarshal(rootPackageJSON, &m); err != nil {
		return nil, fmt.Errorf("package.json: %w", err)
	}
	if len(m.Workspaces) == 0 || string(m.Workspaces) == "null" {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(m.Workspaces, &list); err == nil {
		return list, nil
	}
	var obj struct {
		Packages []string `json:"packages"`
	}
	if err := json.Unmarshal(m.Workspaces, &obj); err != nil {
		return nil, fmt.Errorf("package.json: workspaces is neither a list of patterns nor an object with packages")
	}
	return obj.Packages, nil
}
