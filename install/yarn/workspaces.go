package yarn

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	lockyarn "github.com/airlock-dev/airlock/lock/yarn"
)

// maxManifest bounds a workspace's package.json, as cmd/airlock bounds
// the root's.
const maxManifest = 16 << 20

// FindWorkspaces is config.resolveWorkspaces: the directories package.json's
// workspace globs match that hold a package.json, sorted, outside every
// node_modules. A workspace without a name or version is left out, with a
// warning, as yarn leaves it out. Globs may use *, ? and [...] in any path
// element; "**" and globs that leave the project are refused.
//
// The warnings include yarn's for nohoist globs in a package.json that is
// not private, which yarn (and airlock) ignore.
func FindWorkspaces(projectDir string, root *lockyarn.Manifest) ([]*Workspace, []string, error) {
	seen := map[string]bool{}
	var dirs []string
	var warnings []string
	if len(root.Nohoist) > 0 && !root.Private {
		warnings = append(warnings, nohoistIgnored("package.json"))
	}
	for _, g := range root.Workspaces {
		clean := path.Clean(strings.TrimSuffix(g, "/"))
		if strings.Contains(g, "**") || path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") || strings.ContainsAny(g, "\\\x00{") {
			return nil, nil, fmt.Errorf("%w: workspace glob %q: airlock reads globs of *, ? and [...] inside the project only", ErrWorkspaces, g)
		}
		matches, err := filepath.Glob(filepath.Join(projectDir, filepath.FromSlash(clean), "package.json"))
		if err != nil {
			return nil, nil, fmt.Errorf("%w: workspace glob %q: %v", ErrWorkspaces, g, err)
		}
		for _, m := range matches {
			rel, err := filepath.Rel(projectDir, filepath.Dir(m))
			if err != nil {
				return nil, nil, err
			}
			rel = filepath.ToSlash(rel)
			if rel == "." || seen[rel] || strings.Contains("/"+rel+"/", "/node_modules/") {
				continue
			}
			seen[rel] = true
			dirs = append(dirs, rel)
		}
	}
	sort.Strings(dirs)
	var out []*Workspace
	for _, d := range dirs {
		p := filepath.Join(projectDir, filepath.FromSlash(d), "package.json")
		fi, err := os.Stat(p)
		if err != nil {
			return nil, nil, err
		}
		if fi.Size() > maxManifest {
			return nil, nil, fmt.Errorf("%s: over %d bytes", p, maxManifest)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, err
		}
		m, err := lockyarn.ReadManifest(data)
		if err != nil {
			return nil, nil, fmt.Errorf("workspace %s: %w", d, err)
		}
		if m.Name == "" || m.Version == "" {
			warnings = append(warnings, fmt.Sprintf("workspace %s has no name or version in its package.json; yarn leaves it out, and so did airlock", d))
			continue
		}
		if len(m.Nohoist) > 0 && !m.Private {
			warnings = append(warnings, nohoistIgnored(d+"/package.json"))
		}
		out = append(out, &Workspace{Dir: d, Manifest: m, PackageJSON: data})
	}
	return out, warnings, nil
}

// nohoistIgnored is yarn's workspacesNohoistRequirePrivatePackages.
func nohoistIgnored(file string) string {
	return fmt.Sprintf("%s: workspaces.nohoist is ignored because the package is not private (yarn ignores it too); add \"private\": true to use it", file)
}
