package testregistry

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// version is one published tarball and the manifest the registry holds for
// it: the tarball's package.json after the normalization `npm publish`
// applies before upload (so the registry's view, not the raw file).
type version struct {
	name, version string
	tgz           []byte
	manifest      map[string]any // without dist
	integrity     string         // sha512 SRI
	shasum        string         // sha1 hex
	fileCount     int
	unpackedSize  int64
}

// ErrBadTarball is returned by Add for bytes that are not a gzipped tar with
// a package.json naming a package and version.
var ErrBadTarball = errors.New("testregistry: not an npm package tarball")

// parseTarball reads what the registry needs from a tarball. Like pacote,
// it strips the first path component whatever its name.
func parseTarball(tgz []byte) (*version, error) {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadTarball, err)
	}
	tr := tar.NewReader(zr)
	var (
		pkgJSON []byte
		files   []string
		hasGyp  bool
		hasSW   bool
		size    int64
	)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadTarball, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		_, rel, ok := strings.Cut(strings.TrimPrefix(h.Name, "./"), "/")
		if !ok || rel == "" {
			continue
		}
		files = append(files, rel)
		size += h.Size
		switch {
		case rel == "package.json":
			if pkgJSON, err = io.ReadAll(tr); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrBadTarball, err)
			}
		case rel == "npm-shrinkwrap.json":
			hasSW = true
		case !strings.Contains(rel, "/") && strings.HasSuffix(rel, ".gyp"):
			hasGyp = true
		}
	}
	if pkgJSON == nil {
		return nil, fmt.Errorf("%w: no package.json", ErrBadTarball)
	}
	dec := json.NewDecoder(bytes.NewReader(pkgJSON))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: package.json: %v", ErrBadTarball, err)
	}
	name, _ := m["name"].(string)
	ver, _ := m["version"].(string)
	if name == "" || ver == "" {
		return nil, fmt.Errorf("%w: package.json lacks name or version", ErrBadTarball)
	}
	if strings.HasPrefix(name, "@") != strings.Contains(name, "/") || strings.Count(name, "/") > 1 {
		return nil, fmt.Errorf("%w: bad package name %q", ErrBadTarball, name)
	}
	normalizeForPublish(m, files, hasGyp)
	m["_hasShrinkwrap"] = hasSW

	s512 := sha512.Sum512(tgz)
	s1 := sha1.Sum(tgz)
	return &version{
		name:         name,
		version:      ver,
		tgz:          tgz,
		manifest:     m,
		integrity:    "sha512-" + base64.StdEncoding.EncodeToString(s512[:]),
		shasum:       hex.EncodeToString(s1[:]),
		fileCount:    len(files),
		unpackedSize: size,
	}, nil
}

// normalizeForPublish applies the parts of @npmcli/package-json's "prepare"
// normalization (what npm publish sends as the version document) that change
// what an installer sees:
//   - _id is name@version;
//   - bundledDependencies is renamed bundleDependencies; true means all deps;
//   - directories.bin without bin expands to every file under that directory
//     whose path there has no segment starting with "." (command name =
//     basename); glob also lists subdirectories, which fixtures avoid;
//   - otherwise bin is normalized as normalizeBin describes;
//   - a *.gyp file at the root and no install/preinstall script adds
//     scripts.install = "node-gyp rebuild" and gypfile = true.
func normalizeForPublish(m map[string]any, files []string, hasGyp bool) {
	name := m["name"].(string)
	m["_id"] = name + "@" + m["version"].(string)

	if bd, ok := m["bundledDependencies"]; ok {
		if _, has := m["bundleDependencies"]; !has {
			m["bundleDependencies"] = bd
		}
		delete(m, "bundledDependencies")
	}
	switch bd := m["bundleDependencies"].(type) {
	case bool:
		if bd {
			deps, _ := m["dependencies"].(map[string]any)
			m["bundleDependencies"] = sortedKeys(deps)
		} else {
			delete(m, "bundleDependencies")
		}
	case map[string]any:
		m["bundleDependencies"] = sortedKeys(bd)
	}

	if dirs, ok := m["directories"].(map[string]any); ok && m["bin"] == nil && dirs["bin"] != nil {
		if dir, ok := dirs["bin"].(string); ok {
			// Rooted and cleaned like secureAndUnixifyPath: "./tools"
			// and "../tools" both mean "tools".
			dir = securePath(dir)
			bins := map[string]any{}
			for _, f := range files {
				rel, ok := strings.CutPrefix(f, dir+"/")
				if !ok || strings.HasPrefix(rel, ".") || strings.Contains(rel, "/.") {
					continue
				}
				bins[path.Base(rel)] = dir + "/" + rel
			}
			m["bin"] = bins
		}
	} else {
		normalizeBin(m, name)
	}

	if hasGyp && m["gypfile"] != false {
		scripts, _ := m["scripts"].(map[string]any)
		if scripts == nil {
			scripts = map[string]any{}
		}
		if scripts["install"] == nil && scripts["preinstall"] == nil {
			scripts["install"] = "node-gyp rebuild"
			m["scripts"] = scripts
			m["gypfile"] = true
		}
	}
}

// normalizeBin is @npmcli/package-json's normalizePackageBin: a string bin
// becomes {<name>: bin}, an array {basename: entry}; then every command name
// is reduced to its basename and every target rooted and cleaned
// (securePath), entries that end up empty or are not strings are dropped,
// and an empty map is removed.
func normalizeBin(m map[string]any, name string) {
	var bins map[string]any
	switch b := m["bin"].(type) {
	case string:
		bins = map[string]any{name: b}
	case []any:
		bins = map[string]any{}
		for _, x := range b {
			if s, ok := x.(string); ok {
				bins[path.Base(s)] = s
			}
		}
	case map[string]any:
		bins = b
	default:
		delete(m, "bin")
		return
	}
	out := map[string]any{}
	for k, v := range bins {
		target, ok := v.(string)
		if !ok {
			continue
		}
		key := securePath(k)
		target = securePath(target)
		if key == "" || target == "" {
			continue
		}
		out[path.Base(key)] = target
	}
	if len(out) == 0 {
		delete(m, "bin")
		return
	}
	m["bin"] = out
}

// securePath is secureAndUnixifyPath: backslashes become slashes, the path
// is cleaned as if rooted (so ".." cannot climb out) and made relative;
// "" means nothing is left.
func securePath(p string) string {
	return strings.TrimPrefix(path.Clean("/"+strings.ReplaceAll(p, `\`, "/")), "/")
}

func sortedKeys(m map[string]any) []any {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out
}

// hasInstallScript is the registry's rule for the abbreviated document.
func hasInstallScript(m map[string]any) bool {
	scripts, _ := m["scripts"].(map[string]any)
	for _, s := range []string{"preinstall", "install", "postinstall"} {
		if scripts[s] != nil {
			return true
		}
	}
	return false
}

// corgiVersionFields are the version fields the abbreviated document keeps.
var corgiVersionFields = []string{
	"name", "version", "deprecated",
	"dependencies", "optionalDependencies", "devDependencies",
	"bundleDependencies", "peerDependencies", "peerDependenciesMeta",
	"acceptDependencies", "bin", "directories", "engines",
	"os", "cpu", "libc", "funding", "license",
	"_hasShrinkwrap", "dist",
}

// TarballPath is the URL path the registry serves a tarball at:
// /<name>/-/<basename>-<version>.tgz, the scope kept as a path segment.
func TarballPath(name, version string) string {
	return "/" + name + "/-/" + path.Base(name) + "-" + version + ".tgz"
}

// PackumentPath is the decoded URL path of a packument ("/@s/n" for
// scoped names; clients usually send it as "/@s%2fn"). Middlewares match
// decoded paths, so this works for both spellings.
func PackumentPath(name string) string { return "/" + name }

// fullDoc builds the full packument. base is the registry URL with its
// trailing slash.
func fullDoc(name string, vs map[string]*version, base, when string) map[string]any {
	versions := map[string]any{}
	times := map[string]any{"created": when, "modified": when}
	var list []string
	for v, pv := range vs {
		doc := make(map[string]any, len(pv.manifest)+1)
		for k, x := range pv.manifest {
			doc[k] = cloneJSON(x)
		}
		doc["dist"] = map[string]any{
			"integrity":    pv.integrity,
			"shasum":       pv.shasum,
			"tarball":      strings.TrimSuffix(base, "/") + TarballPath(name, v),
			"fileCount":    pv.fileCount,
			"unpackedSize": pv.unpackedSize,
		}
		versions[v] = doc
		times[v] = when
		list = append(list, v)
	}
	lv := latest(list)
	doc := map[string]any{
		"_id":       name,
		"name":      name,
		"dist-tags": map[string]any{"latest": lv},
		"versions":  versions,
		"time":      times,
	}
	// Hoisted from the latest version, as the registry does.
	if l, ok := versions[lv].(map[string]any); ok {
		for _, k := range []string{"description", "license", "homepage", "repository", "keywords", "author"} {
			if x, ok := l[k]; ok {
				doc[k] = cloneJSON(x)
			}
		}
	}
	return doc
}

// corgiDoc derives the abbreviated packument from a (possibly hooked) full one.
func corgiDoc(full map[string]any) map[string]any {
	out := map[string]any{
		"name":      full["name"],
		"dist-tags": full["dist-tags"],
	}
	if t, ok := full["time"].(map[string]any); ok && t["modified"] != nil {
		out["modified"] = t["modified"]
	}
	versions := map[string]any{}
	fv, _ := full["versions"].(map[string]any)
	for v, x := range fv {
		vd, ok := x.(map[string]any)
		if !ok {
			continue
		}
		c := map[string]any{}
		for _, k := range corgiVersionFields {
			if y, ok := vd[k]; ok {
				c[k] = y
			}
		}
		if hasInstallScript(vd) {
			c["hasInstallScript"] = true
		}
		versions[v] = c
	}
	out["versions"] = versions
	return out
}

func cloneJSON(x any) any {
	switch x := x.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, v := range x {
			m[k] = cloneJSON(v)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, v := range x {
			s[i] = cloneJSON(v)
		}
		return s
	}
	return x
}
