package yarn

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
	"math/rand"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/internal/treecmp"
	lockyarn "github.com/airlock-dev/airlock/lock/yarn"
)

// synthPkg is one package version of a random project.
type synthPkg struct {
	name, version string
	deps, optDeps map[string]string
	peers         map[string]string
	bin           map[string]string
	os            []string
	// nohoist makes the package private with these workspaces.nohoist
	// globs, which yarn's hoister reads from every package.
	nohoist []string
}

func (p *synthPkg) manifest() []byte {
	m := map[string]any{"name": p.name, "version": p.version}
	if len(p.deps) > 0 {
		m["dependencies"] = p.deps
	}
	if len(p.optDeps) > 0 {
		m["optionalDependencies"] = p.optDeps
	}
	if len(p.peers) > 0 {
		m["peerDependencies"] = p.peers
	}
	if len(p.bin) > 0 {
		m["bin"] = p.bin
	}
	if len(p.os) > 0 {
		m["os"] = p.os
	}
	if len(p.nohoist) > 0 {
		m["private"] = true
		m["workspaces"] = map[string]any{"nohoist": p.nohoist}
	}
	b, _ := json.Marshal(m)
	return b
}

func (p *synthPkg) tarball() []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	files := map[string][]byte{"package/package.json": p.manifest()}
	for _, t := range p.bin {
		files["package/"+t] = []byte("#!/usr/bin/env node\n")
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		_ = tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg})
		_, _ = tw.Write(files[n])
	}
	_ = tw.Close()
	_ = zw.Close()
	return buf.Bytes()
}

// synthProject is a random project: packages, the root's dependencies,
// and the yarn.lock yarn would write for them (each pattern an exact
// version, so resolution is fixed).
type synthProject struct {
	pkgs []*synthPkg
	root map[string]map[string]string // dependencies, devDependencies
	// ws are workspaces (packages/w<i>), each with the same two maps.
	ws []map[string]map[string]string
	// rootNohoist and wsNohoist are workspaces.nohoist globs of the root
	// and of each workspace; wsPrivate says which workspaces are private
	// (yarn ignores a public one's nohoist).
	rootNohoist []string
	wsNohoist   [][]string
	wsPrivate   []bool
	// nohoisted counts the packages airlockLayout placed as nohoist.
	nohoisted int
}

// addNohoist gives a project nohoist globs: in a workspace project the
// root's and some workspaces' (private or not), and some packages' own,
// naming packages of the project, workspaces, and nothing.
func (sp *synthProject) addNohoist(rng *rand.Rand) {
	names := map[string]bool{}
	for _, p := range sp.pkgs {
		names[p.name] = true
	}
	var pkgNames []string
	for n := range names {
		pkgNames = append(pkgNames, n)
	}
	sort.Strings(pkgNames)
	glob := func() string {
		n := pkgNames[rng.Intn(len(pkgNames))]
		w := "w0"
		if len(sp.ws) > 0 {
			w = fmt.Sprintf("w%d", rng.Intn(len(sp.ws)))
			if rng.Intn(5) == 0 {
				n = w // a workspace another one depends on
			}
		}
		switch rng.Intn(9) {
		case 0:
			return "**/" + n
		case 1:
			return "**/" + n + "/**"
		case 2:
			return w + "/" + n
		case 3:
			return w + "/**"
		case 4:
			return "**/" + n + "/*"
		case 5:
			return "*/" + n
		case 6:
			return "**/q*"
		case 7:
			return n
		default:
			return "**/no-such-package"
		}
	}
	list := func() []string {
		var l []string
		for k := rng.Intn(3) + 1; k > 0; k-- {
			l = append(l, glob())
		}
		return l
	}
	// Without workspaces only packages' own globs count (yarn has no
	// workspace root then).
	if len(sp.ws) > 0 && rng.Intn(3) > 0 {
		sp.rootNohoist = list()
	}
	for range sp.ws {
		var l []string
		if rng.Intn(2) == 0 {
			l = list()
		}
		sp.wsNohoist = append(sp.wsNohoist, l)
		sp.wsPrivate = append(sp.wsPrivate, rng.Intn(4) > 0)
	}
	for _, p := range sp.pkgs {
		if rng.Intn(6) == 0 {
			p.nohoist = list()
		}
	}
}

func randomSynth(rng *rand.Rand) *synthProject {
	names := rng.Intn(9) + 3
	versions := make([]int, names)
	for i := range versions {
		versions[i] = rng.Intn(3) + 1
	}
	name := func(i int) string {
		if i%4 == 3 {
			return fmt.Sprintf("@s/q%d", i) // some scoped names
		}
		return fmt.Sprintf("q%d", i)
	}
	sp := &synthProject{root: map[string]map[string]string{"dependencies": {}, "devDependencies": {}}}
	for n := 0; n < names; n++ {
		for v := 1; v <= versions[n]; v++ {
			p := &synthPkg{name: name(n), version: fmt.Sprintf("%d.0.0", v), deps: map[string]string{}, optDeps: map[string]string{}, peers: map[string]string{}, bin: map[string]string{}}
			for k := rng.Intn(4); k > 0; k-- {
				// Dependencies point to higher-numbered names mostly, so
				// most graphs terminate; some point back (cycles).
				d := rng.Intn(names)
				_, inDeps := p.deps[name(d)]
				_, inOpt := p.optDeps[name(d)]
				_, inPeers := p.peers[name(d)]
				if d == n || inDeps || inOpt || inPeers {
					// yarn's manifest normalization lists a name once.
					continue
				}
				dv := fmt.Sprintf("%d.0.0", rng.Intn(versions[d])+1)
				switch r := rng.Intn(10); {
				case r < 7:
					p.deps[name(d)] = dv
				case r < 9:
					p.optDeps[name(d)] = dv
				default:
					p.peers[name(d)] = "*"
				}
			}
			if rng.Intn(4) == 0 {
				p.bin["cmd"+strconv.Itoa(rng.Intn(3))] = "bin/" + strconv.Itoa(n) + ".js"
			}
			if rng.Intn(8) == 0 {
				p.os = []string{"win32"}
			}
			sp.pkgs = append(sp.pkgs, p)
		}
	}
	for n := 0; n < names; n++ {
		if rng.Intn(3) == 0 {
			kind := "dependencies"
			if rng.Intn(3) == 0 {
				kind = "devDependencies"
			}
			sp.root[kind][name(n)] = fmt.Sprintf("%d.0.0", rng.Intn(versions[n])+1)
		}
	}
	// A third of the projects are yarn workspaces: each member depends
	// on packages and perhaps on an earlier member.
	if rng.Intn(3) == 0 {
		for w := rng.Intn(3) + 1; w > 0; w-- {
			m := map[string]map[string]string{"dependencies": {}, "devDependencies": {}}
			for k := rng.Intn(4) + 1; k > 0; k-- {
				n := rng.Intn(names)
				kind := "dependencies"
				if rng.Intn(4) == 0 {
					kind = "devDependencies"
				}
				if _, dup := m["dependencies"][name(n)]; !dup {
					if _, dup := m["devDependencies"][name(n)]; !dup {
						m[kind][name(n)] = fmt.Sprintf("%d.0.0", rng.Intn(versions[n])+1)
					}
				}
			}
			if len(sp.ws) > 0 && rng.Intn(2) == 0 {
				m["dependencies"][fmt.Sprintf("w%d", rng.Intn(len(sp.ws)))] = "1.0.0"
			}
			sp.ws = append(sp.ws, m)
		}
	}
	return sp
}

// write puts package.json, yarn.lock and the offline mirror into dir.
func (sp *synthProject) write(t *testing.T, dir string) {
	mirror := filepath.Join(dir, "mirror")
	if err := os.MkdirAll(mirror, 0o755); err != nil {
		t.Fatal(err)
	}
	var lock strings.Builder
	lock.WriteString("# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n\n")
	for _, p := range sp.pkgs {
		data := p.tarball()
		base := path.Base(p.name) + "-" + p.version + ".tgz"
		file := strings.ReplaceAll(strings.TrimPrefix(p.name, "@"), "/", "-") + "-" + p.version + ".tgz"
		if strings.HasPrefix(p.name, "@") {
			file = "@" + file
		}
		if err := os.WriteFile(filepath.Join(mirror, file), data, 0o644); err != nil {
			t.Fatal(err)
		}
		s1 := sha1.Sum(data)
		s512 := sha512.Sum512(data)
		key := p.name + "@" + p.version
		if strings.HasPrefix(key, "@") {
			key = `"` + key + `"`
		}
		fmt.Fprintf(&lock, "%s:\n  version %q\n  resolved \"https://registry.yarnpkg.com/%s/-/%s#%s\"\n  integrity sha512-%s\n",
			key, p.version, p.name, base, hex.EncodeToString(s1[:]), base64.StdEncoding.EncodeToString(s512[:]))
		for _, sec := range []struct {
			name string
			m    map[string]string
		}{{"dependencies", p.deps}, {"optionalDependencies", p.optDeps}} {
			if len(sec.m) == 0 {
				continue
			}
			fmt.Fprintf(&lock, "  %s:\n", sec.name)
			names := make([]string, 0, len(sec.m))
			for n := range sec.m {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				q := n
				if strings.HasPrefix(n, "@") {
					q = `"` + n + `"`
				}
				fmt.Fprintf(&lock, "    %s %q\n", q, sec.m[n])
			}
		}
		lock.WriteString("\n")
	}
	rootPJ := map[string]any{"name": "synth", "version": "1.0.0", "private": true,
		"dependencies": sp.root["dependencies"], "devDependencies": sp.root["devDependencies"]}
	if len(sp.ws) > 0 {
		rootPJ["workspaces"] = []string{"packages/*"}
		if len(sp.rootNohoist) > 0 {
			rootPJ["workspaces"] = map[string]any{"packages": []string{"packages/*"}, "nohoist": sp.rootNohoist}
		}
	}
	pj, _ := json.Marshal(rootPJ)
	for i, m := range sp.ws {
		wdir := filepath.Join(dir, "packages", fmt.Sprintf("w%d", i))
		if err := os.MkdirAll(wdir, 0o755); err != nil {
			t.Fatal(err)
		}
		wm := map[string]any{"name": fmt.Sprintf("w%d", i), "version": "1.0.0",
			"dependencies": m["dependencies"], "devDependencies": m["devDependencies"]}
		if i < len(sp.wsNohoist) && len(sp.wsNohoist[i]) > 0 {
			wm["workspaces"] = map[string]any{"nohoist": sp.wsNohoist[i]}
			wm["private"] = sp.wsPrivate[i]
		}
		wpj, _ := json.Marshal(wm)
		if err := os.WriteFile(filepath.Join(wdir, "package.json"), wpj, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range map[string][]byte{
		"yarn.lock":    []byte(lock.String()),
		"package.json": pj,
		".yarnrc":      []byte("yarn-offline-mirror \"" + mirror + "\"\n"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// airlockLayout is airlock's layout and bin links for the project in
// dir, from the synthetic manifests, as "loc name@version" and
// "link -> target" lines.
func (sp *synthProject) airlockLayout(t *testing.T, dir string, production bool) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "yarn.lock"))
	if err != nil {
		t.Fatal(err)
	}
	lf, err := lockyarn.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	pj, _ := os.ReadFile(filepath.Join(dir, "package.json"))
	root, err := lockyarn.ReadManifest(pj)
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := FindWorkspaces(dir, root)
	if err != nil {
		t.Fatal(err)
	}
	var wsm []*lockyarn.Manifest
	for _, w := range ws {
		wsm = append(wsm, w.Manifest)
	}
	if err := lockyarn.CheckInSync(lf, root, wsm...); err != nil {
		t.Fatal(err)
	}
	byKey := map[string]*synthPkg{}
	for _, p := range sp.pkgs {
		byKey[p.name+"@"+p.version] = p
	}
	g, err := newGraph(lf, root, ws, production)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range g.list {
		data := []byte("{}")
		if r.ws != nil {
			data = r.ws.PackageJSON
		} else if p := byKey[r.name+"@"+r.version]; p != nil {
			data = p.manifest()
		}
		if err := r.parseManifest(data, false, nil); err != nil {
			t.Fatal(err)
		}
	}
	flat, err := layout(g, root, production, Platform{OS: "linux", CPU: "x64"}, &Result{})
	if err != nil {
		return nil, err
	}
	var out []string
	sp.nohoisted = 0
	for _, p := range flat {
		if p.info.isNohoist {
			sp.nohoisted++
		}
		p.info.ref.locations = append(p.info.ref.locations, p.loc)
		if w := p.info.ref.ws; w != nil {
			p.info.ref.locations = append(p.info.ref.locations, w.Dir)
			out = append(out, p.loc+" => "+install.RelPath(path.Dir(p.loc), w.Dir))
			continue
		}
		out = append(out, p.loc+" "+p.info.ref.name+"@"+p.info.ref.version)
	}
	links, err := planBins(g, flat, func(string) (bool, error) { return true, nil })
	if err != nil {
		t.Fatal(err)
	}
	final := map[string]string{}
	for _, l := range links {
		if l.name == "" {
			continue // an empty .bin directory; yarnLayout lists links only
		}
		final[l.dir+"/"+l.name] = install.RelPath(l.dir, l.target)
	}
	for k, v := range final {
		out = append(out, k+" -> "+v)
	}
	sort.Strings(out)
	return out, nil
}

// yarnLayout lists the tree yarn made in dir the same way.
func yarnLayout(t *testing.T, dir string) []string {
	var out []string
	var walk func(nm string)
	walk = func(nm string) {
		ents, _ := os.ReadDir(filepath.Join(dir, nm))
		for _, e := range ents {
			rel := nm + "/" + e.Name()
			switch {
			case e.Name() == ".bin":
				bins, _ := os.ReadDir(filepath.Join(dir, rel))
				for _, b := range bins {
					target, _ := os.Readlink(filepath.Join(dir, rel, b.Name()))
					out = append(out, rel+"/"+b.Name()+" -> "+target)
				}
			case strings.HasPrefix(e.Name(), "."):
			case e.Type()&os.ModeSymlink != 0:
				target, _ := os.Readlink(filepath.Join(dir, rel))
				out = append(out, rel+" => "+target)
			case strings.HasPrefix(e.Name(), "@"):
				subs, _ := os.ReadDir(filepath.Join(dir, rel))
				for _, s := range subs {
					if s.Type()&os.ModeSymlink != 0 {
						target, _ := os.Readlink(filepath.Join(dir, rel, s.Name()))
						out = append(out, rel+"/"+s.Name()+" => "+target)
						continue
					}
					pkg(t, dir, rel+"/"+s.Name(), &out, walk)
				}
			default:
				pkg(t, dir, rel, &out, walk)
			}
		}
	}
	walk("node_modules")
	ws, _ := filepath.Glob(filepath.Join(dir, "packages", "*"))
	for _, w := range ws {
		rel, _ := filepath.Rel(dir, w)
		walk(filepath.ToSlash(rel) + "/node_modules")
	}
	sort.Strings(out)
	return out
}

func pkg(t *testing.T, dir, rel string, out *[]string, walk func(string)) {
	var m struct{ Name, Version string }
	b, err := os.ReadFile(filepath.Join(dir, rel, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(b, &m)
	*out = append(*out, rel+" "+m.Name+"@"+m.Version)
	walk(rel + "/node_modules")
}

// TestRandomIdenticalToYarn lays out random projects (names, versions,
// cycles, optional and platform-specific packages, peers, bins,
// devDependencies) with real yarn 1 (offline, from a mirror of generated
// archives) and with airlock's hoister and bin planner, and compares
// package locations and bin links. Two thirds of the projects get
// nohoist globs (addNohoist), drawn from a second random source so that
// the projects themselves stay those of the seed. It runs when yarn 1 is installed
// (PATH or $AIRLOCK_YARN1); $AIRLOCK_YARN_RANDOM sets how many projects
// (default 40), $AIRLOCK_YARN_SEED the random seed (default 7). Projects whose conflicting cycles nest without end are
// refused by airlock (ErrTooDeep) and not given to yarn, which would run
// out of memory on them.
func TestRandomIdenticalToYarn(t *testing.T) {
	yarn := findYarn(t)
	if yarn == "" {
		t.Skip("no yarn 1 (PATH, $AIRLOCK_YARN1); TestHoistResolves and TestRealProjectLayout check the hoister instead")
	}
	n := 40
	if s := os.Getenv("AIRLOCK_YARN_RANDOM"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	seed := int64(7)
	if s := os.Getenv("AIRLOCK_YARN_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	rng := rand.New(rand.NewSource(seed))
	nohoistRng := rand.New(rand.NewSource(seed + 1))
	home := t.TempDir()
	var compared, workspaces, nohoist, tooDeep, refused int
	defer func() {
		t.Logf("%d layouts compared (%d of workspace projects, %d with packages kept down by nohoist), %d refused by both for a platform, %d too deep for yarn", compared, workspaces, nohoist, refused, tooDeep)
	}()
	for i := 0; i < n; i++ {
		sp := randomSynth(rng)
		if nohoistRng.Intn(3) > 0 {
			sp.addNohoist(nohoistRng)
		}
		for _, production := range []bool{false, true} {
			dir := t.TempDir()
			sp.write(t, dir)
			want, err := sp.airlockLayout(t, dir, production)
			if errors.Is(err, ErrTooDeep) {
				tooDeep++
				continue
			}
			badPlatform := errors.Is(err, ErrBadPlatform)
			if err != nil && !badPlatform {
				t.Fatal(err)
			}
			args := []string{"install", "--frozen-lockfile", "--offline", "--ignore-scripts", "--non-interactive", "--no-progress", "--cache-folder", filepath.Join(dir, "cache")}
			if production {
				args = append(args, "--production")
			}
			cmd := exec.Command(yarn, args...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, "config"), "NODE_ENV=")
			out, err := cmd.CombinedOutput()
			if badPlatform {
				// airlock refused a required package for another
				// platform; yarn must refuse it too.
				if err == nil || !bytes.Contains(out, []byte("Found incompatible module")) {
					t.Errorf("project %d (production %v): airlock refused an incompatible required package, yarn did not: %v\n%s", i, production, err, out)
				}
				refused++
				continue
			}
			if err != nil {
				lock, _ := os.ReadFile(filepath.Join(dir, "yarn.lock"))
				pj, _ := os.ReadFile(filepath.Join(dir, "package.json"))
				t.Fatalf("project %d (production %v): yarn: %v\n%s\n%s\n%s", i, production, err, out, pj, lock)
			}
			compared++
			if len(sp.ws) > 0 {
				workspaces++
			}
			if sp.nohoisted > 0 {
				nohoist++
			}
			got := yarnLayout(t, dir)
			if d := treecmp.DiffListings(got, want); d != "" {
				lock, _ := os.ReadFile(filepath.Join(dir, "yarn.lock"))
				pj, _ := os.ReadFile(filepath.Join(dir, "package.json"))
				var mans []string
				for _, p := range sp.pkgs {
					mans = append(mans, string(p.manifest()))
				}
				t.Errorf("project %d (production %v) differs (- yarn, + airlock):\n%s\npackage.json %s\nmanifests:\n%s\n%s", i, production, d, pj, strings.Join(mans, "\n"), lock)
			}
		}
	}
}
