package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Shims are small POSIX sh wrappers put first on PATH, named like the
// package tools, so that build scripts which call `npm ci` or `pip install
// -r` get airlock without being rewritten. Each finds the real tool on PATH
// past every airlock shim (wherever and however often a shim directory
// appears), sends the install-type commands airlock handles to it, refuses
// the install-type commands airlock cannot check yet, and runs the real
// tool for everything else. AIRLOCK_SHIM_BYPASS=1 runs the real tool for
// everything.

// shimMarker starts the second line of every shim; uninstall removes only
// files that carry it, and a shim recognizes another by it.
const shimMarker = "# airlock-shim: "

// shimTools are the wrappers written, in order.
var shimTools = []string{"npm", "npx", "pnpm", "yarn", "bun", "pip", "pip3"}

func shimCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "install" && args[0] != "uninstall") {
		fmt.Fprintf(stderr, "usage: airlock shim install|uninstall [--dir DIR]\n")
		return exitUsage
	}
	sub := args[0]
	fs := newFlagSet("shim "+sub, "[--dir DIR]", stderr)
	dir := fs.String("dir", "", "shim `directory` (default: $XDG_DATA_HOME/airlock/shims, else ~/.local/share/airlock/shims)")
	airlockPath := fs.String("airlock", "", "the airlock `binary` the shims run (default: this one)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "airlock shim %s: unexpected argument %q\n", sub, fs.Arg(0))
		return exitUsage
	}
	d, err := shimDir(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "airlock shim %s: %v\n", sub, err)
		return exitUsage
	}
	if sub == "uninstall" {
		removed, err := uninstallShims(d)
		for _, r := range removed {
			fmt.Fprintf(stdout, "removed %s\n", r)
		}
		if err != nil {
			fmt.Fprintf(stderr, "airlock shim uninstall: %v\n", err)
			return exitUsage
		}
		if len(removed) == 0 {
			fmt.Fprintf(stdout, "no airlock shims in %s\n", d)
		}
		return exitOK
	}
	bin := *airlockPath
	if bin == "" {
		if bin, err = selfPath(); err != nil {
			fmt.Fprintf(stderr, "airlock shim install: %v; name the airlock binary with --airlock\n", err)
			return exitUsage
		}
	}
	if bin, err = filepath.Abs(bin); err != nil {
		fmt.Fprintf(stderr, "airlock shim install: %v\n", err)
		return exitUsage
	}
	written, err := installShims(d, bin)
	if err != nil {
		fmt.Fprintf(stderr, "airlock shim install: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "wrote %s into %s\n", strings.Join(written, ", "), d)
	fmt.Fprintf(stdout, "put them first on PATH:\n  export PATH=%s:\"$PATH\"\n", shQuote(d))
	return exitOK
}

// shimDir is --dir, else $XDG_DATA_HOME/airlock/shims, else
// ~/.local/share/airlock/shims.
func shimDir(dir string) (string, error) {
	if dir == "" {
		data := os.Getenv("XDG_DATA_HOME")
		if data == "" {
			home := os.Getenv("HOME")
			if home == "" {
				return "", errors.New("no --dir, XDG_DATA_HOME or HOME to put the shims in")
			}
			data = filepath.Join(home, ".local", "share")
		}
		dir = filepath.Join(data, "airlock", "shims")
	}
	return filepath.Abs(dir)
}

// selfPath is the airlock the user ran, as found on PATH (keeping the name
// it was run by, not where a symlink leads), else the executable itself.
func selfPath() (string, error) {
	if arg0 := os.Args[0]; arg0 != "" {
		if p, err := exec.LookPath(arg0); err == nil {
			return p, nil
		}
	}
	return os.Executable()
}

// installShims writes every shim into dir, replacing earlier airlock shims
// but never another file of the same name.
func installShims(dir, airlockBin string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for _, t := range shimTools {
		p := filepath.Join(dir, t)
		if ok, err := isShimFile(p); err == nil && !ok {
			return nil, fmt.Errorf("%s exists and is not an airlock shim; remove it or choose another --dir", p)
		}
	}
	var written []string
	for _, t := range shimTools {
		if err := replaceFileMode(filepath.Join(dir, t), []byte(shimScript(t, airlockBin)), 0o755); err != nil {
			return written, err
		}
		written = append(written, t)
	}
	return written, nil
}

// uninstallShims removes the airlock shims in dir, and dir itself if that
// leaves it empty; other files stay.
func uninstallShims(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if ok, err := isShimFile(p); err != nil || !ok {
			continue
		}
		if err := os.Remove(p); err != nil {
			return removed, err
		}
		removed = append(removed, p)
	}
	_ = os.Remove(dir) // only succeeds when empty
	return removed, nil
}

// isShimFile reports whether path is a regular file written as an airlock
// shim (its second line is the marker).
func isShimFile(path string) (bool, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return false, err
	}
	if !st.Mode().IsRegular() {
		return false, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	r := bufio.NewReader(io.LimitReader(f, 512))
	first, _ := r.ReadString('\n')
	second, _ := r.ReadString('\n')
	return first == "#!/bin/sh\n" && strings.HasPrefix(second, shimMarker), nil
}

// replaceFileMode writes data to path atomically with mode.
func replaceFileMode(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".airlock-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
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

// shQuote quotes s for sh.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shimScript is the wrapper for tool.
func shimScript(tool, airlockBin string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/sh\n%s%s\n", shimMarker, tool)
	b.WriteString("# Written by `airlock shim install`; `airlock shim uninstall` removes it.\n")
	b.WriteString("# Install commands go through airlock; everything else runs the real " + tool + ".\n")
	b.WriteString("# AIRLOCK_SHIM_BYPASS=1 runs the real " + tool + " for everything.\n")
	fmt.Fprintf(&b, "airlock_bin=%s\ntool=%s\n", shQuote(airlockBin), tool)
	b.WriteString(shimCommon)
	b.WriteString(shimRoutes[tool])
	b.WriteString("\nairlock_shim_real \"$@\"\n")
	return b.String()
}

// shimCommon finds the real tool and a PATH without airlock's shims, and
// defines how to hand over to either.
const shimCommon = `set -f
real=
clean_path=
_ifs=$IFS
IFS=:
for _d in $PATH; do
	# Any directory holding an airlock shim for this tool is skipped, so a
	# shim directory on PATH twice, or through a symlink, cannot loop.
	if [ -f "$_d/$tool" ]; then
		_l=
		{ IFS= read -r _l && IFS= read -r _l; } <"$_d/$tool" 2>/dev/null
		case $_l in "# airlock-shim: "*) continue ;; esac
	fi
	clean_path=${clean_path:+$clean_path:}$_d
	# A tool planted in a project's node_modules is never "the real one".
	case $_d in '' | */node_modules | */node_modules/*) continue ;; esac
	if [ -z "$real" ] && [ -f "$_d/$tool" ] && [ -x "$_d/$tool" ]; then
		real=$_d/$tool
	fi
done
IFS=$_ifs
set +f

airlock_shim_real() {
	if [ -z "$real" ]; then
		echo "airlock shim: no $tool on PATH besides airlock's shims" >&2
		exit 127
	fi
	exec "$real" "$@"
}

airlock_shim_airlock() {
	if [ ! -x "$airlock_bin" ]; then
		echo "airlock shim: $airlock_bin is gone; run 'airlock shim install' again (or AIRLOCK_SHIM_BYPASS=1 to use $tool directly)" >&2
		exit 127
	fi
	# airlock runs npm itself to resolve: it must find the real one.
	PATH=$clean_path exec "$airlock_bin" "$@"
}

airlock_shim_refuse() {
	echo "airlock shim: '$tool $1' is an install airlock cannot check yet, so it is refused; run it with AIRLOCK_SHIM_BYPASS=1 to use $tool unchecked" >&2
	exit 2
}

if [ "${AIRLOCK_SHIM_BYPASS:-}" = 1 ]; then
	airlock_shim_real "$@"
fi

# The command is the first argument that is not an option.
cmd=
for _a in "$@"; do
	case $_a in -*) ;; *) cmd=$_a; break ;; esac
done

# bare_install: no command, and only options an install takes (pnpm and
# yarn install when run bare; "yarn --version" must not).
bare_install=
if [ -z "$cmd" ]; then
	bare_install=1
	for _a in "$@"; do
		case $_a in
		--frozen-lockfile | --immutable | --immutable-cache | --prod | --production | -P | --ignore-scripts | --offline | --prefer-offline | --silent | -s | --reporter=* | --non-interactive) ;;
		*) bare_install= ;;
		esac
	done
fi

`

// shimRoutes is each tool's routing, run with the arguments as given and
// $cmd set; the "for _a do shift ... set --" loops rebuild the arguments
// without the command word. A route that does not exec falls through to
// the real tool.
var shimRoutes = map[string]string{
	"npm": `
case $cmd in
ci | install | i | add | in | update | up | upgrade | uninstall | rm | remove | un | r)
	for _a in "$@"; do
		case $_a in
		-g | --global | --location=global)
			echo "airlock shim: a global install is not a project's dependencies; running npm itself (it runs install scripts)" >&2
			airlock_shim_real "$@"
			;;
		esac
	done
	_first=1
	for _a do
		shift
		if [ -n "$_first" ] && [ "$_a" = "$cmd" ]; then
			_first=
			continue
		fi
		set -- "$@" "$_a"
	done
	airlock_shim_airlock npm "$cmd" "$@"
	;;
esac
`,
	"npx": `
# npx runs a package's code by design: airlock does not check what it
# fetches. AIRLOCK_SHIM_NPX=strict adds --no, so only installed packages run.
if [ "${AIRLOCK_SHIM_NPX:-}" = strict ]; then
	airlock_shim_real --no "$@"
fi
if [ -n "$cmd" ]; then
	echo "airlock shim: npx runs package code that airlock does not check; install the tool with airlock npm install -D and run it from node_modules/.bin (AIRLOCK_SHIM_NPX=strict refuses downloads)" >&2
fi
`,
	"pnpm": `
if [ -n "$bare_install" ]; then cmd=install; fi
case $cmd in
install | i)
	# airlock installs exactly the lockfile, which is what
	# --frozen-lockfile asks for; other options are airlock's to refuse.
	_first=1
	for _a do
		shift
		if [ -n "$_first" ] && [ "$_a" = "$cmd" ]; then
			_first=
			continue
		fi
		case $_a in
		--frozen-lockfile) continue ;;
		--prod | -P) _a=--omit=dev ;;
		esac
		set -- "$@" "$_a"
	done
	airlock_shim_airlock install "$@"
	;;
add | update | up | upgrade | dlx)
	airlock_shim_refuse "$cmd"
	;;
esac
`,
	"yarn": `
if [ -n "$bare_install" ]; then cmd=install; fi
case $cmd in
install)
	_first=1
	for _a do
		shift
		if [ -n "$_first" ] && [ "$_a" = "$cmd" ]; then
			_first=
			continue
		fi
		case $_a in
		--frozen-lockfile | --immutable | --immutable-cache | --non-interactive | --silent) continue ;;
		--production | --prod) _a=--omit=dev ;;
		esac
		set -- "$@" "$_a"
	done
	airlock_shim_airlock install "$@"
	;;
add | upgrade | up | dlx)
	airlock_shim_refuse "$cmd"
	;;
esac
`,
	"bun": `
# bun install (or i) with no package names installs bun.lock as it is;
# bun run, bun test, bun x and bun upgrade (bun itself) are bun's.
case $cmd in
install | i)
	_first=1
	for _a do
		shift
		if [ -n "$_first" ] && [ "$_a" = "$cmd" ]; then
			_first=
			continue
		fi
		set -- "$@" "$_a"
	done
	airlock_shim_airlock bun install "$@"
	;;
add | a | update | remove | rm)
	airlock_shim_refuse "$cmd"
	;;
esac
`,
	"pip":  pipRoute,
	"pip3": pipRoute,
}

// pipRoute sends `pip install` to airlock when airlock can check it: a
// --lock, --require-hashes, a requirements file with hashes, or
// requirements named on the command line (airlock resolves them on the
// index and pins every wheel by its hash). Any other pip install (-e .,
// a path or URL, an unhashed requirements file) runs pip itself, with a
// warning, since airlock cannot pin it.
const pipRoute = `
if [ "$cmd" = install ]; then
	_route=
	_next=
	_names=
	_other=
	for _a in "$@"; do
		case $_next in
		r)
			_next=
			if [ -f "$_a" ] && grep -q -- '--hash[=:]' "$_a" 2>/dev/null; then _route=1; else _other=1; fi
			continue
			;;
		v)
			_next=
			continue
			;;
		esac
		case $_a in
		install) ;;
		--lock | --lock=* | --require-hashes) _route=1 ;;
		-r | --requirement) _next=r ;;
		-r?* | --requirement=*)
			_f=${_a#-r}
			_f=${_f#--requirement=}
			if [ -f "$_f" ] && grep -q -- '--hash[=:]' "$_f" 2>/dev/null; then _route=1; else _other=1; fi
			;;
		-e | --editable | -e?* | --editable=* | -c | --constraint | -c?* | --constraint=* | -f | --find-links | -f?* | --find-links=*) _other=1 ;;
		-t | --target | -i | --index-url | --extra-index-url | --python | --cert | --client-cert | --config) _next=v ;;
		-*) ;;
		*/* | .* | *.whl | *.zip | *.tar.gz) _other=1 ;;
		*) _names=1 ;;
		esac
	done
	if [ -n "$_route" ] || { [ -n "$_names" ] && [ -z "$_other" ]; }; then
		airlock_shim_airlock pip "$@"
	fi
	echo "airlock shim: this '$tool install' (a path, URL, -e, or a requirements file without hashes) is not checked by airlock; running $tool itself" >&2
fi
`
