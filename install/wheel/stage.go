package wheel

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"

	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/unpack"
)

func root(s Scheme) (string, error) {
	s, err := cleanScheme(s)
	if err != nil {
		return "", err
	}
	common := s.Purelib
	for _, d := range []string{s.Platlib, s.Scripts, s.Data, s.Headers} {
		for common != d && !within(d, common) {
			common = filepath.Dir(common)
		}
	}
	return common, nil
}

// cleanScheme checks the scheme and resolves its paths: symlinks in them
// are followed once, here (a Fedora venv's platlib goes through "lib64 ->
// lib"), so that the Staging, which never follows one, works on the real
// directories.
func cleanScheme(s Scheme) (Scheme, error) {
	for _, p := range []*string{&s.Purelib, &s.Platlib, &s.Scripts, &s.Data, &s.Headers} {
		if *p == "" || !filepath.IsAbs(*p) {
			return s, fmt.Errorf("wheel: scheme directories must be absolute paths, have %q", *p)
		}
		r, err := resolveDir(filepath.Clean(*p))
		if err != nil {
			return s, fmt.Errorf("wheel: scheme directory %s: %w", *p, err)
		}
		*p = r
	}
	return s, nil
}

// resolveDir resolves the symlinks of the longest existing ancestor of p
// and appends the rest.
func resolveDir(p string) (string, error) {
	rest := ""
	for {
		r, err := filepath.EvalSymlinks(p)
		if err == nil {
			return filepath.Join(r, rest), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(p)
		if parent == p {
			return "", err
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = parent
	}
}

func stage(ctx context.Context, st *install.Staging, scheme Scheme, wheels []Wheel, opts Options) (*Result, error) {
	sch, err := cleanScheme(scheme)
	if err != nil {
		return nil, err
	}
	if !filepath.IsAbs(opts.Python) {
		return nil, fmt.Errorf("wheel: Options.Python must be the target interpreter's absolute path, have %q", opts.Python)
	}
	if _, err := strconv.ParseFloat(opts.PythonVersion, 64); err != nil {
		return nil, fmt.Errorf("wheel: Options.PythonVersion must be major.minor (\"3.11\"), have %q", opts.PythonVersion)
	}
	if opts.Installer == "" {
		opts.Installer = "airlock"
	}
	umask := opts.Umask & os.ModePerm
	if umask == 0 {
		umask = unpack.ProcessUmask()
	}
	seen := map[string]string{}
	for _, w := range wheels {
		n := normalizeName(w.Name)
		if prev, dup := seen[n]; dup {
			return nil, fmt.Errorf("wheel: %s and %s are the same distribution; install one version", prev, w.Name+" "+w.Version)
		}
		seen[n] = w.Name + " " + w.Version
	}

	b, err := newBuilder(st, sch, umask)
	if err != nil {
		return nil, err
	}
	// Extract and check every wheel before anything is laid out, so that a
	// bad wheel late in the list costs no work on the others' trees.
	preps := make([]*prepared, len(wheels))
	olds := make([][]*installedDist, len(wheels))
	for i, w := range wheels {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		scratch, err := st.Scratch()
		if err != nil {
			return nil, err
		}
		if preps[i], err = prepare(ctx, w, scratch, sch, &opts, umask); err != nil {
			return nil, err
		}
		if olds[i], err = findInstalled(sch, w.Name, &opts); err != nil {
			return nil, err
		}
		for _, d := range olds[i] {
			for _, p := range d.paths {
				if err := b.add(p); err != nil {
					return nil, &WheelError{Wheel: d.distInfo, Path: p, Err: err}
				}
			}
		}
		p := preps[i]
		for _, f := range p.files {
			if err := b.add(f.dest); err != nil {
				return nil, p.fail(f.archive, err)
			}
		}
		for _, ep := range scriptsToGenerate(p.eps, opts.PythonVersion) {
			if err := b.add(filepath.Join(sch.Scripts, ep.name)); err != nil {
				return nil, p.fail(ep.name, err)
			}
		}
		if err := b.add(filepath.Join(p.libDir, p.distInfo, "RECORD")); err != nil {
			return nil, p.fail("", err)
		}
	}

	res := &Result{}
	owner := map[string]string{} // destination → distribution that installed it
	for i, p := range preps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// As pip does: uninstall the previous version, then install.
		for _, d := range olds[i] {
			if err := b.uninstall(d); err != nil {
				return nil, err
			}
			p.result.Replaced = append(p.result.Replaced, d.version)
		}
		if err := b.install(p, sch, &opts, umask, owner, res); err != nil {
			return nil, err
		}
		res.Dists = append(res.Dists, p.result)
	}
	if err := b.commit(); err != nil {
		return nil, err
	}
	return res, nil
}

// install lays p's files into the build and writes its generated files and
// RECORD, as pip's _install_wheel does.
func (b *builder) install(p *prepared, sch Scheme, opts *Options, umask os.FileMode, owner map[string]string, res *Result) error {
	fileMode := 0o666 &^ umask
	installed := map[string]string{} // archive path → RECORD path
	changed := map[string][]byte{}   // RECORD path → content, for rewritten scripts
	recordPath := func(dest string) string {
		r, _ := filepath.Rel(p.libDir, dest)
		return filepath.ToSlash(r)
	}
	claim := func(dest string) error {
		if err := b.guardEnvFile(dest, sch); err != nil {
			return err
		}
		if prev, ok := owner[dest]; ok && prev != p.w.Name {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s and %s both install %s; %s's copy is kept, as pip keeps the last one installed", prev, p.w.Name, dest, p.w.Name))
		}
		owner[dest] = p.w.Name
		return nil
	}
	for _, f := range p.files {
		fi, err := os.Lstat(f.src)
		if err != nil {
			return p.fail(f.archive, err)
		}
		src, data := f.src, []byte(nil)
		if f.script {
			content, err := os.ReadFile(f.src)
			if err != nil {
				return p.fail(f.archive, err)
			}
			if fixed, ok := fixShebang(content, opts.Python); ok {
				src, data = "", fixed
				changed[recordPath(f.dest)] = fixed
			}
		}
		if err := claim(f.dest); err != nil {
			return p.fail(f.archive, err)
		}
		if err := b.place(f.dest, src, data, fi.Mode().Perm()); err != nil {
			return p.fail(f.archive, err)
		}
		installed[f.archive] = recordPath(f.dest)
		p.result.Files++
	}

	type gen struct {
		path string
		data []byte
	}
	var generated []gen
	final := map[string][]byte{}
	for _, ep := range scriptsToGenerate(p.eps, opts.PythonVersion) {
		dest := filepath.Join(sch.Scripts, ep.name)
		text := scriptText(opts.Python, ep)
		if err := claim(dest); err != nil {
			return p.fail(ep.name, err)
		}
		// distlib writes 0o666&^umask, then adds 0o555.
		if err := b.place(dest, "", text, fileMode|0o555); err != nil {
			return p.fail(ep.name, err)
		}
		generated = append(generated, gen{dest, nil})
		final[dest] = text
		p.result.Scripts = append(p.result.Scripts, ep.name)
	}
	info := filepath.Join(p.libDir, p.distInfo)
	meta := []gen{{filepath.Join(info, "INSTALLER"), []byte(opts.Installer + "\n")}}
	if p.w.DirectURL != nil {
		meta = append(meta, gen{filepath.Join(info, "direct_url.json"), p.w.DirectURL})
	}
	if p.w.Requested {
		meta = append(meta, gen{filepath.Join(info, "REQUESTED"), []byte{}})
	}
	for _, g := range meta {
		if err := b.place(g.path, "", g.data, fileMode); err != nil {
			return p.fail(filepath.Base(g.path), err)
		}
		generated = append(generated, g)
		final[g.path] = g.data
	}

	// pip's get_csv_rows_for_installed.
	var rows []recordRow
	for _, r := range p.record {
		np, ok := installed[r.Path]
		if ok {
			delete(installed, r.Path)
		} else {
			np = r.Path
		}
		if content, ok := changed[np]; ok {
			sum := sha256.Sum256(content)
			rows = append(rows, recordRow{Path: np, Hash: recordDigest(sum[:]), Size: strconv.Itoa(len(content))})
			continue
		}
		rows = append(rows, recordRow{Path: np, Hash: r.Hash, Size: r.Size})
	}
	for _, g := range generated {
		sum := sha256.Sum256(final[g.path])
		rows = append(rows, recordRow{Path: recordPath(g.path), Hash: recordDigest(sum[:]), Size: strconv.Itoa(len(final[g.path]))})
	}
	rest := make([]string, 0, len(installed))
	for _, np := range installed {
		rest = append(rest, np)
	}
	sort.Strings(rest)
	for _, np := range rest {
		rows = append(rows, recordRow{Path: np})
	}
	if err := b.place(filepath.Join(info, "RECORD"), "", formatRecord(rows), fileMode); err != nil {
		return p.fail("RECORD", err)
	}
	p.result.Files += len(generated)
	sort.Strings(p.result.Scripts)
	p.result.Scripts = dedupe(p.result.Scripts)
	return nil
}

// envFiles are the names a virtual environment's tool puts in the scripts
// directory: the interpreter and the activation scripts.
var envFiles = regexp.MustCompile(`^(python[0-9.]*w?|activate(\..*)?|Activate\.ps1)$`)

// guardEnvFile refuses to let a wheel replace the environment's own
// interpreter or activation scripts (pip would: a console script named
// "python" replaces the venv's interpreter). Such a file that no
// distribution being replaced installed still exists at this point.
func (b *builder) guardEnvFile(dest string, sch Scheme) error {
	if filepath.Dir(dest) != sch.Scripts || !envFiles.MatchString(filepath.Base(dest)) {
		return nil
	}
	if _, err := b.lstat(dest); err == nil {
		return fmt.Errorf("%w: it would replace %s, which belongs to the environment, not to a distribution", ErrConflict, dest)
	}
	return nil
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
