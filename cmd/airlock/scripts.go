package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch/npmrc"
	"github.com/airlock-dev/airlock/internal/auditlog"
	"github.com/airlock-dev/airlock/lock"
	"github.com/airlock-dev/airlock/sandbox"
	"github.com/airlock-dev/airlock/sandbox/analyze"
	"github.com/airlock-dev/airlock/verify"
)

// scriptPackage is one name@version with install scripts, at every path it
// was installed to.
type scriptPackage struct {
	name, version string
	paths         []string // project-relative install paths
}

func (p scriptPackage) id() string { return p.name + "@" + p.version }

// packagesWithScripts groups the installed packages that declare install
// scripts by name@version.
func packagesWithScripts(installed []lock.Package) []scriptPackage {
	byID := map[string]*scriptPackage{}
	var ids []string
	for _, p := range installed {
		if !p.HasInstallScript || p.Source == lock.SourceLink || p.Source == lock.SourceWorkspace {
			continue
		}
		id := p.Name + "@" + p.Version
		sp := byID[id]
		if sp == nil {
			sp = &scriptPackage{name: p.Name, version: p.Version}
			byID[id] = sp
			ids = append(ids, id)
		}
		sp.paths = append(sp.paths, p.Path)
	}
	sort.Strings(ids)
	out := make([]scriptPackage, len(ids))
	for i, id := range ids {
		out[i] = *byID[id]
	}
	return out
}

// scriptsInput is what runAllowedScripts needs from an install.
type scriptsInput struct {
	cfg        *config.Config
	projectDir string
	installed  []lock.Package
	// caFile is .npmrc's cafile, which npm must be able to read.
	caFile string
	// allow adds --allow-scripts entries to [scripts] allow.
	allow []verify.DenyRule
	// findings are the install-time static-analysis findings; an error
	// among a package's keeps its scripts from running unless reviewed.
	findings []analyze.Finding
	rep      *reporter
	// pnpmLock, when set, is a pnpm project's pnpm-lock.yaml: the scripts
	// run through `pnpm rebuild` (pnpmRebuildArgv) instead of npm's.
	pnpmLock []byte
}

// runAllowedScripts runs, after the tree is in place, the install scripts of
// the packages the configuration allows, each through `npm rebuild` in the
// sandbox with write access to that package's directories only. A failure
// fails the command unless the package is listed in [scripts] optional.
// Nothing runs when nothing is allowed; if something is allowed but this
// machine cannot sandbox it, nothing runs and the command fails.
func runAllowedScripts(ctx context.Context, in scriptsInput) error {
	if len(in.cfg.Scripts.NativeAllow) > 0 {
		// .npmrc's ignore-scripts withdraws the native allowances. Read
		// here, where they would be used, so that every installer that
		// runs scripts honours it.
		rc, err := npmrc.Load(in.projectDir, os.Environ())
		if err != nil {
			return withCode(exitUsage, err)
		}
		ignoreNativeScripts(in.cfg, rc)
	}
	rules := append(append([]verify.DenyRule{}, in.cfg.Scripts.Allow...), in.allow...)
	var run, notRun []scriptPackage
	for _, p := range packagesWithScripts(in.installed) {
		if config.MatchScript(rules, p.name, p.version) {
			run = append(run, p)
		} else {
			notRun = append(notRun, p)
		}
	}
	if hint := withdrawnHint(in.cfg.Scripts, notRun); hint != "" {
		in.rep.warn(event{Message: hint})
	}
	if len(run) == 0 {
		return nil
	}
	if err := sandbox.Probe().Err(); err != nil {
		return withCode(exitVerify, fmt.Errorf("not running the install scripts of %s: %w (`airlock doctor` shows what this machine offers)%s", ids(run), err, nativeAllowHint(in.cfg.Scripts, run)))
	}
	find := nativeNpm
	if in.pnpmLock != nil {
		find = nativePnpm
	}
	npmPath, err := find()
	if err != nil {
		return withCode(exitUsage, err)
	}
	logDir := filepath.Join(in.projectDir, ".airlock", "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return err
	}
	var failed []string
	for _, p := range run {
		if blocking := errorFindings(in.findings, p); len(blocking) > 0 && !config.MatchScript(in.cfg.Scripts.Reviewed, p.name, p.version) {
			in.rep.warn(event{Name: p.name, Version: p.version, Message: fmt.Sprintf("not running the install scripts of %s: static analysis found %s; after reviewing the package, list it in [scripts] reviewed to run them anyway", p.id(), strings.Join(blocking, "; "))})
			in.rep.audit.add(auditlog.Event{Kind: "script", Package: p.name, Version: p.version, Result: "refused", Detail: "static analysis: " + strings.Join(blocking, "; ")})
			failed = append(failed, p.id())
			continue
		}
		res, logPath, err := runPackageScripts(ctx, in, p, npmPath, logDir)
		if err != nil {
			return err
		}
		optional := config.MatchScript(in.cfg.Scripts.Optional, p.name, p.version)
		in.rep.audit.add(auditlog.Event{Kind: "script", Package: p.name, Version: p.version, Path: strings.Join(p.paths, " "), Result: map[bool]string{true: "ok", false: "failed"}[res.OK()],
			Detail: fmt.Sprintf("ran in the sandbox: %v in %s; log %s", res, res.Duration.Round(10*time.Millisecond), logPath)})
		e := event{Name: p.name, Version: p.version, Path: logPath, Seconds: res.Duration.Seconds(), ExitCode: res.ExitCode}
		switch {
		case res.OK():
			e.Message = fmt.Sprintf("ran the install scripts of %s in the sandbox (%s); log: %s", p.id(), res.Duration.Round(10*time.Millisecond), logPath)
			in.rep.note(e)
			in.rep.info(e.Message)
		case optional:
			e.Message = fmt.Sprintf("the install scripts of %s failed in the sandbox (%v); it is optional in [scripts], so the install goes on; log: %s%s", p.id(), res, logPath, logTail(logPath))
			in.rep.warn(e)
		default:
			in.rep.warn(event{Name: p.name, Version: p.version, Path: logPath, Message: fmt.Sprintf("the install scripts of %s failed in the sandbox (%v); log: %s%s", p.id(), res, logPath, logTail(logPath))})
			failed = append(failed, p.id())
		}
	}
	if len(failed) > 0 {
		return withCode(exitVerify, fmt.Errorf("install scripts failed for %s; the packages are installed but not built. If a script needs the network, list it in [scripts] network; if it may fail, in [scripts] optional", strings.Join(failed, ", ")))
	}
	return nil
}

func runPackageScripts(ctx context.Context, in scriptsInput, p scriptPackage, npmPath, logDir string) (sandbox.Result, string, error) {
	logPath := filepath.Join(logDir, "scripts-"+strings.NewReplacer("/", "+", "@", "").Replace(p.name)+"-"+p.version+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return sandbox.Result{}, "", err
	}
	defer logFile.Close()
	var write []string
	for _, rel := range p.paths {
		write = append(write, filepath.Join(in.projectDir, filepath.FromSlash(rel)))
	}
	network := config.MatchScript(in.cfg.Scripts.Network, p.name, p.version)
	argv := []string{npmPath, "rebuild", p.id(),
		"--ignore-scripts=false", // the project's .npmrc may say true
		"--bin-links=false",      // airlock linked the bins; .bin is read-only here
		"--foreground-scripts", "--no-audit", "--no-fund", "--no-update-notifier"}
	if !network {
		argv = append(argv, "--offline")
	}
	if in.pnpmLock != nil {
		scratch, err := os.MkdirTemp("", "airlock-pnpm-rebuild-*")
		if err != nil {
			return sandbox.Result{}, "", err
		}
		defer os.RemoveAll(scratch)
		if argv, err = pnpmRebuildArgv(npmPath, in.projectDir, scratch, p, in.pnpmLock); err != nil {
			return sandbox.Result{}, "", err
		}
		write = append(write, scratch)
	}
	env := []string{
		// npm's user and global configuration may hold tokens; the
		// project's .npmrc is read (it is in the tree), tokens in it are
		// useless without the network.
		"npm_config_userconfig=/nonexistent/airlock-sandbox/npmrc",
		"npm_config_globalconfig=/nonexistent/airlock-sandbox/global-npmrc",
	}
	// Build settings a user may set for native modules; never credentials.
	for _, name := range []string{"npm_config_build_from_source", "npm_config_jobs", "CFLAGS", "CXXFLAGS", "LDFLAGS"} {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	if nodedir := nodeHeaders(); nodedir != "" {
		// node-gyp would otherwise download headers.
		env = append(env, "npm_config_nodedir="+nodedir)
	}
	read := []string{in.projectDir}
	if py, prefix := buildPython(); py != "" {
		// node-gyp needs Python; a pyenv or similar install lives outside
		// the system directories the sandbox reads.
		env = append(env, "PYTHON="+py, "npm_config_python="+py)
		if !underSystemDirs(prefix) {
			read = append(read, prefix)
		}
	}
	if in.caFile != "" {
		// npm reads the project's cafile at start-up and fails without
		// it; a CA bundle is public. (A client keyfile is not, and stays
		// out of reach.)
		read = append(read, in.caFile)
	}
	read = append(read, toolchainDirs(npmPath)...)
	fmt.Fprintf(logFile, "# airlock: %s (network: %v)\n", strings.Join(argv, " "), network)
	res, err := sandbox.Run(ctx, sandbox.Spec{
		Argv:    argv,
		Dir:     in.projectDir,
		Env:     env,
		Read:    read,
		Write:   write,
		Network: network,
		Timeout: in.cfg.Scripts.Timeout,
		Output:  logFile,
	})
	fmt.Fprintf(logFile, "# airlock: %v\n", res)
	return res, logPath, err
}

// errorFindings describes the error-level findings about p.
func errorFindings(fs []analyze.Finding, p scriptPackage) []string {
	var out []string
	for _, f := range fs {
		if f.Package == p.name && f.Version == p.version && f.Severity == analyze.Error {
			out = append(out, fmt.Sprintf("%s at %s (%s)", f.Message, f.Location(), f.Rule))
		}
	}
	return out
}

func ids(ps []scriptPackage) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.id())
	}
	return strings.Join(s, ", ")
}

// logTail returns the last lines of a script log for an error message.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	return "\n  | " + strings.Join(lines, "\n  | ")
}

// nativeNpm finds the npm that runs allowed scripts and resolves airlock
// npm install's changes: never one from a node_modules directory (a
// package could plant it there), nor an airlock shim.
func nativeNpm() (string, error) {
	p, ok := nativeTool("npm")
	if !ok {
		return "", fmt.Errorf("allowed install scripts run through npm (`npm rebuild`), and no npm was found on PATH")
	}
	return p, nil
}

// nativeTool finds name on PATH as nativeNpm finds npm.
func nativeTool(name string) (string, bool) {
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if dir == "" || strings.Contains(filepath.ToSlash(dir), "/node_modules/") || strings.HasSuffix(filepath.ToSlash(dir), "/node_modules/.bin") {
			continue
		}
		p := filepath.Join(dir, name)
		if shim, _ := isShimFile(p); shim {
			// airlock's own wrapper would send npm install back here.
			continue
		}
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			if abs, err := filepath.Abs(p); err == nil {
				return abs, true
			}
		}
	}
	return "", false
}

// toolchainDirs are the directories npm and node live in when they are not
// under the system directories the sandbox always reads (nvm, volta, a
// tarball in /home): the install prefix of each, resolved through symlinks.
func toolchainDirs(npmPath string) []string {
	var dirs []string
	add := func(bin string) {
		real, err := filepath.EvalSymlinks(bin)
		if err != nil {
			return
		}
		// .../bin/node → ..., .../lib/node_modules/npm/bin/npm-cli.js → ...
		prefix := filepath.Dir(filepath.Dir(real))
		if i := strings.Index(real, string(filepath.Separator)+"lib"+string(filepath.Separator)+"node_modules"+string(filepath.Separator)); i > 0 {
			prefix = real[:i]
		}
		if !underSystemDirs(prefix) {
			dirs = append(dirs, prefix)
		}
	}
	add(npmPath)
	if node, err := exec.LookPath("node"); err == nil {
		add(node)
	}
	return dirs
}

func underSystemDirs(p string) bool {
	for _, sys := range sandbox.SystemReadPaths {
		if p == sys || strings.HasPrefix(p, sys+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// buildPython finds the Python that node-gyp would use (python3 on PATH,
// not from node_modules) and returns its real executable and prefix, asking
// the interpreter itself since version managers put shell shims on PATH.
// It returns "" when there is none.
func buildPython() (exe, prefix string) {
	var py string
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if dir == "" || strings.Contains(filepath.ToSlash(dir), "/node_modules/") {
			continue
		}
		if p := filepath.Join(dir, "python3"); isExecutable(p) {
			py = p
			break
		}
	}
	if py == "" {
		return "", ""
	}
	cmd := exec.Command(py, "-I", "-S", "-c", "import os, sys; print(os.path.realpath(sys.executable)); print(os.path.realpath(sys.base_prefix))")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	if v, ok := os.LookupEnv("PYENV_ROOT"); ok {
		cmd.Env = append(cmd.Env, "PYENV_ROOT="+v)
	}
	out, err := cmd.Output()
	if err != nil {
		return "", ""
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		return "", ""
	}
	return lines[0], lines[1]
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// nodeHeaders returns a prefix holding node's C headers (include/node), so
// node-gyp builds offline, or "".
func nodeHeaders() string {
	node, err := exec.LookPath("node")
	if err != nil {
		return ""
	}
	real, err := filepath.EvalSymlinks(node)
	if err != nil {
		return ""
	}
	prefix := filepath.Dir(filepath.Dir(real))
	if _, err := os.Stat(filepath.Join(prefix, "include", "node", "node.h")); err == nil {
		return prefix
	}
	return ""
}

// doctor prints what this machine offers the sandbox.
func doctor(stdout io.Writer) int {
	c := sandbox.Probe()
	var b bytes.Buffer
	fmt.Fprintf(&b, "sandbox for install scripts:\n")
	if c.LandlockABI > 0 {
		fmt.Fprintf(&b, "  Landlock: ABI %d%s\n", c.LandlockABI, landlockNote(c.LandlockABI))
	} else {
		fmt.Fprintf(&b, "  Landlock: not available\n")
	}
	fmt.Fprintf(&b, "  user, mount, PID and network namespaces: %v\n", yesNo(c.Namespaces))
	if c.Namespaces {
		bound := c.ProcessBound
		if bound == "" {
			bound = "none but airlock's process-count watch (root without a writable pids cgroup)"
		}
		fmt.Fprintf(&b, "  process limit enforced by: %s\n", bound)
	}
	if npmPath, err := nativeNpm(); err == nil {
		fmt.Fprintf(&b, "  npm (runs allowed scripts): %s\n", npmPath)
	} else {
		fmt.Fprintf(&b, "  npm: %v\n", err)
	}
	if err := c.Err(); err != nil {
		fmt.Fprintf(&b, "allowed install scripts will NOT run here: %v\n", err)
		io.Copy(stdout, &b)
		return exitVerify
	}
	fmt.Fprintf(&b, "allowed install scripts can run here, sandboxed\n")
	io.Copy(stdout, &b)
	return exitOK
}

func landlockNote(abi int) string {
	switch {
	case abi >= 6:
		return " (files, TCP, abstract sockets and signals restricted)"
	case abi >= 4:
		return " (files and TCP restricted)"
	}
	return " (files restricted; TCP is cut off by the network namespace alone)"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
