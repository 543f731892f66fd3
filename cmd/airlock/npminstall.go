package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch/npmrc"
	"github.com/airlock-dev/airlock/internal/safefile"
	"github.com/airlock-dev/airlock/lock"
	locknpm "github.com/airlock-dev/airlock/lock/npm"
	"github.com/airlock-dev/airlock/unpack"
)

// npmVerbs maps the npm commands airlock takes over, with npm's aliases, to
// the command npm resolves with.
var npmVerbs = map[string]string{
	"install": "install", "i": "install", "add": "install", "in": "install",
	"update": "update", "up": "update", "upgrade": "update",
	"uninstall": "uninstall", "rm": "uninstall", "remove": "uninstall", "un": "uninstall", "r": "uninstall",
}

// npmInstallFlags are airlock npm install/update/uninstall's settings: npm
// ci's, plus what is handed to npm's resolution.
type npmInstallFlags struct {
	npmCIFlags
	dryRun bool
	// noSave is npm's --no-save (or --save=false): install the resolved
	// tree but leave package.json and the lockfile as they were.
	noSave    bool
	saveGiven bool
	// npmArgs are the options passed on to `npm <verb> --package-lock-only`.
	npmArgs []string
}

// npmResolveBools and npmResolveStrings are npm's options that change what
// npm resolves or writes into package.json, passed on to it as given.
var (
	npmResolveBools = []struct{ name, usage string }{
		{"save-dev", "save new packages to devDependencies"},
		{"D", "same as --save-dev"},
		{"save-optional", "save new packages to optionalDependencies"},
		{"O", "same as --save-optional"},
		{"save-peer", "save new packages to peerDependencies"},
		{"save-prod", "save new packages to dependencies (the default)"},
		{"P", "same as --save-prod"},
		{"save-exact", "save exact versions instead of npm's ^ ranges"},
		{"E", "same as --save-exact"},
		{"save-bundle", "also add new packages to bundleDependencies"},
		{"B", "same as --save-bundle"},
		{"workspaces", "resolve for every workspace (npm's --workspaces)"},
		{"ws", "same as --workspaces"},
		{"include-workspace-root", "with --workspace(s), the root project too"},
		{"prefer-dedupe", "prefer deduplicating to the newest version (npm's --prefer-dedupe)"},
		{"strict-peer-deps", "treat conflicting peer dependencies as errors (npm's --strict-peer-deps)"},
		{"force", "npm's --force: accept conflicting peer dependencies and engines while resolving"},
	}
	npmResolveStrings = []struct{ name, usage string }{
		{"save-prefix", "the range prefix npm saves (npm's --save-prefix)"},
		{"install-strategy", "npm's --install-strategy: hoisted, nested or shallow"},
		{"before", "resolve to versions published before this date (npm's --before)"},
	}
)

// npmInstall runs `airlock npm install|update|uninstall`: npm resolves the
// change in a scratch copy of the project, airlock shows and checks what
// the new lockfile brings in, then installs it as airlock npm ci does.
func npmInstall(ctx context.Context, verb string, args []string, stdout, stderr io.Writer) int {
	command := "npm " + verb
	var f npmInstallFlags
	synopsis := "[pkg[@range]...] [flags]"
	if verb == "uninstall" {
		synopsis = "pkg... [flags]"
	} else if verb == "update" {
		synopsis = "[pkg...] [flags]"
	}
	fs := newFlagSet(command, synopsis, stderr)
	f.register(fs)
	fs.BoolVar(&f.dryRun, "dry-run", false, "show what the new lockfile changes and what policy decides; write and install nothing")
	fs.Bool("save", true, "save the change to package.json and the lockfile (--save=false: same as --no-save)")
	fs.Bool("no-save", false, "install the change but leave package.json and the lockfile as they were")
	for _, b := range npmResolveBools {
		fs.Bool(b.name, false, b.usage)
	}
	for _, s := range npmResolveStrings {
		fs.String(s.name, "", s.usage)
	}
	var workspaces listFlag
	fs.Var(&workspaces, "workspace", "resolve for this workspace (`name or path`, repeatable; npm's --workspace)")
	fs.Var(&workspaces, "w", "same as --workspace")
	// npm takes options anywhere among the package names.
	var pkgs []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return exitUsage
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		pkgs, rest = append(pkgs, rest[0]), rest[1:]
	}
	f.parsed(fs)
	fs.Visit(func(fl *flag.Flag) {
		v := fl.Value.String()
		switch fl.Name {
		case "save":
			f.noSave = f.noSave || v == "false"
			f.saveGiven = true
			if verb == "update" && v == "true" {
				// npm update saves to package.json only when asked.
				f.npmArgs = append(f.npmArgs, "--save=true")
			}
		case "no-save":
			f.noSave = f.noSave || v == "true"
			f.saveGiven = true
		case "offline", "legacy-peer-deps", "engine-strict":
			// npm resolves offline from its own cache, and these two
			// change its resolution as they change airlock's checks.
			f.npmArgs = append(f.npmArgs, "--"+fl.Name+"="+v)
		case "workspace", "w":
		default:
			if isResolveFlag(fl.Name) {
				name := fl.Name
				if long, ok := npmShortFlags[name]; ok {
					name = long
				}
				f.npmArgs = append(f.npmArgs, "--"+name+"="+v)
			}
		}
	})
	for _, w := range workspaces.values {
		f.npmArgs = append(f.npmArgs, "--workspace="+w)
	}
	if verb == "uninstall" && len(pkgs) == 0 {
		fmt.Fprintf(stderr, "airlock %s: name the packages to remove\n", command)
		return exitUsage
	}
	rep := newReporter(stdout, stderr, f.jsonOut, f.quiet)
	return finishNpm(ctx, rep, runNpmInstall(ctx, command, verb, pkgs, &f, rep))
}

// npmShortFlags are npm's abbreviations among npmResolveBools.
var npmShortFlags = map[string]string{"D": "save-dev", "O": "save-optional", "P": "save-prod", "E": "save-exact", "B": "save-bundle", "ws": "workspaces"}

func isResolveFlag(name string) bool {
	for _, b := range npmResolveBools {
		if b.name == name {
			return true
		}
	}
	for _, s := range npmResolveStrings {
		if s.name == name {
			return true
		}
	}
	return false
}

func runNpmInstall(ctx context.Context, command, verb string, pkgs []string, f *npmInstallFlags, rep *reporter) error {
	began := time.Now()
	allowScripts, err := config.ParseScriptSpecs("--allow-scripts", f.allowScripts)
	if err != nil {
		return withCode(exitUsage, err)
	}
	setup, err := loadNpmSetup(&f.npmCIFlags, rep)
	if err != nil {
		return err
	}
	old, err := readOldNpmProject(setup)
	if err != nil {
		return err
	}
	if verb == "install" && len(pkgs) == 0 && old.inSync() {
		// Nothing to resolve: npm install with a lockfile that already
		// agrees with package.json installs exactly that lockfile.
		plan, err := setup.plan(&f.npmCIFlags, old.project, rep)
		if err != nil {
			return err
		}
		if err := plan.check(ctx, f.offline, rep); err != nil {
			return err
		}
		if f.dryRun {
			rep.dryRun("dry run: the lockfile is in sync with package.json and passed policy; nothing was written or installed")
			return nil
		}
		return plan.run(ctx, command, f.offline, allowScripts, rep, began, nil)
	}
	if err := refuseNonRegistrySpecs(verb, pkgs, old); err != nil {
		return err
	}
	if v, ok := setup.rc.Get("save"); ok && v.Value == "false" && !f.saveGiven && verb != "update" {
		f.noSave = true // npm installs the change without saving it, too
	}

	scratch, err := os.MkdirTemp("", "airlock-resolve-")
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("creating a scratch directory for npm to resolve in: %w", err))
	}
	defer os.RemoveAll(scratch)
	copied, err := copyManifests(setup.projectDir, scratch)
	if err != nil {
		return err
	}
	if err := resolveWithNpm(ctx, verb, pkgs, f, setup.rc, scratch); err != nil {
		return err
	}
	resolved, err := readNpmProject(scratch, setup.legacyPeerDeps)
	if err != nil {
		return fmt.Errorf("reading the lockfile npm resolved: %w", err)
	}
	var oldLock *locknpm.Lockfile
	if old.project != nil {
		oldLock = old.project.lock
	} else if old.lock != nil {
		oldLock = old.lock
	}
	reportLockChanges(rep, diffLocks(oldLock, resolved.lock))

	plan, err := setup.plan(&f.npmCIFlags, resolved, rep)
	if err != nil {
		return err
	}
	if err := plan.check(ctx, f.offline, rep); err != nil {
		return err
	}
	if f.dryRun {
		rep.dryRun("dry run: the new lockfile passed policy; nothing was written or installed")
		return nil
	}
	// The scratch files are what npm was asked about; if someone changed
	// the project's since, saving over them would lose their edit.
	if err := unchangedSince(setup.projectDir, copied); err != nil {
		return err
	}
	save := func() error {
		if f.noSave {
			return nil
		}
		return saveManifests(setup.projectDir, scratch, copied, filepath.Base(resolved.lockPath))
	}
	return plan.run(ctx, command, f.offline, allowScripts, rep, began, save)
}

// oldNpmProject is the project as it was before the command: its lockfile,
// if any, and whether package.json agrees with it.
type oldNpmProject struct {
	// project is set when the lockfile is in sync with package.json.
	project *npmProject
	// lock is the lockfile when it is out of sync (nil without one).
	lock *locknpm.Lockfile
	// manifests are package.json's (and the workspaces') dependency specs.
	specs []depSpec
}

func (o *oldNpmProject) inSync() bool { return o.project != nil }

// depSpec is one dependency as a package.json states it.
type depSpec struct {
	file, name, spec string
}

func readOldNpmProject(setup *npmSetup) (*oldNpmProject, error) {
	o := &oldNpmProject{}
	pj, err := safefile.Read(filepath.Join(setup.projectDir, "package.json"), maxManifestSize)
	if err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("reading package.json: %w", err))
	}
	if o.specs, err = manifestSpecs("package.json", pj); err != nil {
		return nil, withCode(exitUsage, err)
	}
	entries, err := os.ReadDir(setup.projectDir)
	if err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("reading project directory: %w", err))
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if locknpm.FindLockfile(names) == "" {
		return o, nil
	}
	p, err := readNpmProject(setup.projectDir, setup.legacyPeerDeps)
	switch {
	case err == nil:
		o.project = p
	case errors.Is(err, locknpm.ErrOutOfSync):
		// npm will bring the lockfile in line; what it had is the base
		// of the change shown.
		name := locknpm.FindLockfile(names)
		data, rerr := safefile.Read(filepath.Join(setup.projectDir, name), locknpm.MaxLockfileSize)
		if rerr != nil {
			return nil, withCode(exitUsage, rerr)
		}
		if o.lock, rerr = locknpm.Parse(data); rerr != nil {
			return nil, withCode(exitUsage, rerr)
		}
	default:
		return nil, err
	}
	for _, ws := range o.workspaces() {
		b, err := safefile.Read(filepath.Join(setup.projectDir, filepath.FromSlash(ws), "package.json"), maxManifestSize)
		if err != nil {
			continue // npm will say what is wrong with it
		}
		specs, err := manifestSpecs(ws+"/package.json", b)
		if err != nil {
			return nil, withCode(exitUsage, err)
		}
		o.specs = append(o.specs, specs...)
	}
	return o, nil
}

func (o *oldNpmProject) workspaces() []string {
	switch {
	case o.project != nil:
		return o.project.lock.Workspaces
	case o.lock != nil:
		return o.lock.Workspaces
	}
	return nil
}

// locked reports whether the old lockfile has a top-level entry for name
// from src.
func (o *oldNpmProject) locked(name string, src lock.Source) bool {
	l := o.lock
	if o.project != nil {
		l = o.project.lock
	}
	if l == nil {
		return false
	}
	for _, p := range l.Packages {
		if p.Path == "node_modules/"+name && p.Source == src {
			return true
		}
	}
	return false
}

// manifestSpecs lists a package.json's dependency specs.
func manifestSpecs(file string, data []byte) ([]depSpec, error) {
	var m map[string]any
	if err := json.Unmarshal(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), &m); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var out []depSpec
	for _, field := range []string{"dependencies", "devDependencies", "optionalDependencies", "peerDependencies"} {
		deps, _ := m[field].(map[string]any)
		for name, v := range deps {
			if s, ok := v.(string); ok {
				out = append(out, depSpec{file: file, name: name, spec: s})
			}
		}
	}
	slices.SortFunc(out, func(a, b depSpec) int { return strings.Compare(a.file+"\x00"+a.name, b.file+"\x00"+b.name) })
	return out, nil
}

// isScpLike and hasScheme recognize npm-package-arg's URL and scp forms,
// which carry no package name in front.
var (
	hasScheme = regexp.MustCompile(`(?i)^[a-z][a-z0-9+.-]*:`)
	isScpLike = regexp.MustCompile(`^[^@/:]+@[^:/.]+\.[^:/]+:`)
)

// splitPackageArg splits an `npm install` argument into the package name
// and its specifier, as npm-package-arg does: "name", "name@spec",
// "@scope/name@spec", or a bare specifier with no name (a URL, a path, a
// git shorthand such as owner/repo).
func splitPackageArg(arg string) (name, spec string) {
	switch {
	case strings.HasPrefix(arg, "@"):
		if i := strings.Index(arg[1:], "@"); i >= 0 {
			return arg[:i+1], arg[i+2:]
		}
		return arg, ""
	case hasScheme.MatchString(arg) && !strings.HasPrefix(strings.ToLower(arg), "npm:"), isScpLike.MatchString(arg),
		strings.HasPrefix(arg, ".") || strings.HasPrefix(arg, "/") || strings.HasPrefix(arg, "~"):
		return "", arg
	}
	n, s, _ := strings.Cut(arg, "@")
	if strings.Contains(n, "/") {
		return "", arg
	}
	return n, s
}

// refuseNonRegistrySpecs stops, before npm runs, every change npm could
// resolve only by fetching package contents: a git dependency is cloned
// (and its prepare script would build it), a remote tarball is downloaded
// to read its package.json. Registry packages need only their packuments.
// Local paths are refused too: npm resolves in a scratch copy that holds
// the project's manifests, not its other files.
func refuseNonRegistrySpecs(verb string, pkgs []string, old *oldNpmProject) error {
	var bad []string
	for _, arg := range pkgs {
		name, spec := splitPackageArg(arg)
		if strings.HasPrefix(arg, "-") {
			return withCode(exitUsage, fmt.Errorf("%q is not an option airlock npm %s knows; run `airlock npm %s -h` for the list (an option npm has but airlock does not pass on is refused rather than ignored)", arg, verb, verb))
		}
		if verb != "install" {
			if name == "" || spec != "" {
				return withCode(exitUsage, fmt.Errorf("airlock npm %s takes package names, not %q", verb, arg))
			}
			continue
		}
		src, ok := locknpm.SpecSource(spec)
		if !ok {
			return withCode(exitUsage, fmt.Errorf("%q is not a package specifier npm accepts", arg))
		}
		if src != lock.SourceRegistry || name == "" {
			bad = append(bad, fmt.Sprintf("%s (%s)", arg, specKind(src)))
		}
	}
	// package.json entries npm would have to resolve: those not yet in
	// the lockfile, and with update, those it re-resolves.
	for _, d := range old.specs {
		src, ok := locknpm.SpecSource(d.spec)
		if !ok || (src != lock.SourceGit && src != lock.SourceRemote) {
			continue
		}
		updated := verb == "update" && (len(pkgs) == 0 || slices.Contains(pkgs, d.name))
		if !old.locked(d.name, src) || updated {
			bad = append(bad, fmt.Sprintf("%s in %s: %q (%s)", d.name, d.file, d.spec, specKind(src)))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return withCode(exitUsage, fmt.Errorf("refusing to resolve %d dependency(ies) npm cannot resolve from registry metadata alone:\n\t%s\nnpm would clone a git repository or download an archive to read its package.json; airlock lets npm fetch only registry metadata. Publish the package to a registry (or install it with npm itself, then run airlock npm ci; airlock.toml's allow_sources decides whether git and URL entries may install)",
		len(bad), strings.Join(bad, "\n\t")))
}

func specKind(src lock.Source) string {
	switch src {
	case lock.SourceGit:
		return "git repository"
	case lock.SourceRemote:
		return "remote archive URL"
	case lock.SourceFile:
		return "local archive"
	case lock.SourceLink:
		return "local directory"
	}
	return "no package name"
}

// maxManifestFiles bounds the package.json files copied into the scratch
// directory (a monorepo has hundreds; a tree with far more is not one).
const maxManifestFiles = 20000

// copyManifests copies into scratch what npm reads to resolve: package.json
// files (the root's and every workspace's, wherever they are, outside
// node_modules), the lockfile and .npmrc. It returns the copied paths,
// relative to the project, with their contents.
func copyManifests(projectDir, scratch string) (map[string][]byte, error) {
	copied := map[string][]byte{}
	for _, name := range []string{"npm-shrinkwrap.json", "package-lock.json", ".npmrc"} {
		b, err := safefile.Read(filepath.Join(projectDir, name), locknpm.MaxLockfileSize)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, withCode(exitUsage, err)
		}
		copied[name] = b
	}
	err := filepath.WalkDir(projectDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", ".git", ".airlock":
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() != "package.json" || !d.Type().IsRegular() {
			return nil
		}
		if len(copied) > maxManifestFiles {
			return fmt.Errorf("more than %d package.json files outside node_modules; airlock copies them for npm to resolve in a scratch directory and stops here", maxManifestFiles)
		}
		b, err := safefile.Read(p, maxManifestSize)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(projectDir, p)
		copied[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("copying the project's manifests: %w", err))
	}
	for rel, b := range copied {
		dst := filepath.Join(scratch, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			return nil, err
		}
	}
	return copied, nil
}

// noGit is the git npm is told to use: a command that cannot exist, so
// that a git dependency the up-front checks missed fails instead of
// being cloned.
const noGit = "/nonexistent/airlock-lets-npm-fetch-metadata-only/git"

// resolveWithNpm runs `npm <verb> --package-lock-only` in scratch. npm reads
// the user's configuration as usual (registries, auth, CA, proxy), so it
// can reach what the user's npm can; in this mode it fetches packuments
// only and writes package.json and the lockfile, never node_modules.
func resolveWithNpm(ctx context.Context, verb string, pkgs []string, f *npmInstallFlags, rc *npmrc.Config, scratch string) error {
	npmPath, err := nativeNpm()
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("airlock npm %s lets npm resolve versions and write the lockfile: %w", verb, err))
	}
	argv := []string{verb, "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund", "--no-update-notifier",
		"--git=" + noGit, "--package-lock=true", "--strict-ssl=true"}
	if verb != "update" {
		// The scratch copy always records the change, so that airlock can
		// install it; --no-save (or .npmrc's save=false) keeps it from
		// being copied back.
		argv = append(argv, "--save=true")
	}
	if ca, ok := rc.CA(); ok && ca.File != "" {
		// .npmrc's cafile may be relative to the project, which npm,
		// running in the scratch copy, would not find.
		argv = append(argv, "--cafile="+ca.File)
	}
	argv = append(argv, f.npmArgs...)
	if len(pkgs) > 0 {
		argv = append(argv, "--")
		argv = append(argv, pkgs...)
	}
	cmd := exec.CommandContext(ctx, npmPath, argv...)
	cmd.Dir = scratch
	cmd.Env = os.Environ()
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		text := strings.ReplaceAll(strings.TrimSpace(out.String()), scratch, "<project>")
		code := exitUsage
		if npmNetworkError.MatchString(text) {
			code = exitNetwork
		}
		if strings.Contains(text, noGit) {
			return withCode(exitUsage, fmt.Errorf("a package npm resolved depends on a git repository, which npm would clone to read its package.json; airlock lets npm fetch only registry metadata, so nothing was cloned or changed. Find the dependency with `npm explain` after resolving with npm itself, or ask its publisher for a registry release:\n%s", indent(lastLines(text, 8))))
		}
		return withCode(code, fmt.Errorf("npm could not resolve the change (`npm %s` in a scratch copy of the project; nothing was changed):\n%s", strings.Join(argv, " "), indent(lastLines(text, 20))))
	}
	return nil
}

// npmNetworkError matches npm's error codes for an unreachable or failing
// registry, as opposed to a request it cannot satisfy (ETARGET, E404).
var npmNetworkError = regexp.MustCompile(`\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|E5\d\d|E429|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|CERT_HAS_EXPIRED|ERR_TLS_CERT_ALTNAME_INVALID)\b`)

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

func indent(s string) string { return "  | " + strings.ReplaceAll(s, "\n", "\n  | ") }

// unchangedSince checks that the project's files still hold what was
// copied into the scratch directory, and that no lockfile appeared.
func unchangedSince(projectDir string, copied map[string][]byte) error {
	for _, name := range []string{"npm-shrinkwrap.json", "package-lock.json"} {
		if _, ok := copied[name]; ok {
			continue
		}
		if _, err := os.Lstat(filepath.Join(projectDir, name)); err == nil {
			return withCode(exitUsage, fmt.Errorf("%s appeared while npm resolved; nothing was changed: run the command again", name))
		}
	}
	for rel, was := range copied {
		now, err := os.ReadFile(filepath.Join(projectDir, filepath.FromSlash(rel)))
		if err != nil || !bytes.Equal(now, was) {
			return withCode(exitUsage, fmt.Errorf("%s changed while npm resolved; nothing was changed: run the command again", rel))
		}
	}
	return nil
}

// saveManifests writes back the files npm changed in scratch (package.json
// files and the lockfile, lockName), each replaced atomically.
func saveManifests(projectDir, scratch string, copied map[string][]byte, lockName string) error {
	names := []string{lockName}
	for rel := range copied {
		if rel != lockName && rel != ".npmrc" {
			names = append(names, rel)
		}
	}
	slices.Sort(names[1:])
	for _, rel := range names {
		b, err := os.ReadFile(filepath.Join(scratch, filepath.FromSlash(rel)))
		if err != nil {
			return fmt.Errorf("reading what npm resolved: %w", err)
		}
		if was, ok := copied[rel]; ok && bytes.Equal(was, b) {
			continue
		}
		if err := replaceFile(filepath.Join(projectDir, filepath.FromSlash(rel)), b); err != nil {
			return fmt.Errorf("the new tree is installed, but saving %s failed: %w; run the command again to save it", rel, err)
		}
	}
	return nil
}

// replaceFile writes data to path through a temporary file in the same
// directory and a rename, keeping path's permission bits.
func replaceFile(path string, data []byte) error {
	mode := 0o666 &^ unpack.ProcessUmask()
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".airlock-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), mode); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// npmCmd dispatches `airlock npm <command>`.
func npmCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "ci" {
		return npmCI(ctx, "npm ci", args[1:], stdout, stderr)
	}
	if len(args) > 0 {
		if verb, ok := npmVerbs[args[0]]; ok {
			return npmInstall(ctx, verb, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "airlock npm: %q is not a command airlock runs (ci, install/i/add, update, uninstall/rm/remove); run it with npm itself\n\n%s", argOrNothing(args), usage)
	return exitUsage
}
