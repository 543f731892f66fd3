package npm

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/airlock-dev/airlock/lock"
)

// maxManifest caps the package.json read for checkManifest, as unpack caps
// it in an archive (unpack.MaxPackageJSON).
const maxManifest = 16 << 20

// checkManifest compares a registry package's extracted package.json with
// its lockfile entry and returns a warning when the name or version differ,
// or "" when they agree (or there is nothing to compare).
//
// The archive matched the lockfile's integrity, so these are the bytes that
// were locked, and npm ci installs them without looking. But a registry
// that serves one package's bytes under another's name or version, or a
// lockfile that pins another package's digest, is how a swapped dependency
// looks: the user should hear of it. An npm alias ("x": "npm:y@1") is
// compared by the published name, lock.Package.Name, not its folder.
// Versions are compared the way npm normalizes them on publish
// (semver.clean: no leading "v" or "=", no build metadata).
func checkManifest(pkg lock.Package, dir string) string {
	if pkg.Source != lock.SourceRegistry {
		return ""
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return ""
	}
	defer root.Close()
	f, err := root.Open("package.json")
	if err != nil {
		return "" // npm needs none; unpack already reported a broken archive
	}
	data, err := io.ReadAll(io.LimitReader(f, maxManifest+1))
	f.Close()
	if err != nil {
		return ""
	}
	name, version, err := manifestID(data)
	if err != nil {
		return fmt.Sprintf("%s: the archive of %s@%s matches the lockfile's integrity, but its package.json is unreadable (%v); npm installs it all the same, and so did airlock", pkg.Path, pkg.Name, pkg.Version, err)
	}
	// Only what the package.json states is compared: every registry
	// tarball has both fields (npm publish requires them), and one without
	// either is odd but claims no other identity.
	if (name == "" || name == pkg.Name) && (version == "" || cleanVersion(version) == cleanVersion(pkg.Version)) {
		return ""
	}
	if name == "" {
		name = pkg.Name
	}
	if version == "" {
		version = "(no version)"
	}
	return fmt.Sprintf("%s: the lockfile says %s@%s, but the archive's package.json says %s@%s. The archive matches the lockfile's integrity, so it is what was locked, and npm ci would install it too; but a package published under another name or version is how a swapped dependency looks: check where this entry came from (git log -p on the lockfile) before trusting it",
		pkg.Path, pkg.Name, pkg.Version, name, version)
}

// manifestID reads "name" and "version" by their exact keys, as
// JSON.parse does (encoding/json alone would let "NAME" stand in), the last
// of a repeated key winning.
func manifestID(data []byte) (name, version string, err error) {
	if len(data) > maxManifest {
		return "", "", fmt.Errorf("over %d bytes", maxManifest)
	}
	data = []byte(strings.TrimPrefix(string(data), "\ufeff"))
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return "", "", err
	}
	if m == nil {
		return "", "", fmt.Errorf("not a JSON object")
	}
	for _, f := range []struct {
		key string
		dst *string
	}{{"name", &name}, {"version", &version}} {
		raw, ok := m[f.key]
		if !ok || string(raw) == "null" {
			continue
		}
		if json.Unmarshal(raw, f.dst) != nil {
			return "", "", fmt.Errorf("%q is not a string", f.key)
		}
	}
	return name, version, nil
}

// cleanVersion is what npm's publish keeps of a version: semver.clean
// drops surrounding space, a leading "=" or "v", and build metadata.
func cleanVersion(v string) string {
	v = strings.TrimLeft(strings.TrimSpace(v), "=v")
	if i := strings.IndexByte(v, '+'); i >= 0 {
		v = v[:i]
	}
	return v
}

// manifestWarnings returns checkManifest's warnings in location order.
func (b *builder) manifestWarnings() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	locs := make([]string, 0, len(b.mismatches))
	for loc := range b.mismatches {
		locs = append(locs, loc)
	}
	sort.Strings(locs)
	out := make([]string, len(locs))
	for i, loc := range locs {
		out[i] = b.mismatches[loc]
	}
	return out
}
