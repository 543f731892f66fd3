package npm

import (
	"io/fs"
	"os"
	"path"
	"runtime"
	"strings"
)

// DetectLibc finds the C library family of this Linux system the way npm 11
// (npm-install-checks 8) does: /usr/bin/ldd mentioning "musl" means musl,
// "GNU C Library" means glibc. When ldd cannot be read npm asks node's
// process.report; airlock, not being node, looks for the dynamic loaders
// instead (ld-musl-* means musl, ld-linux-* means glibc). It returns "" on
// other systems and when nothing is found, which makes every package that
// names a libc unsupported, as in npm.
func DetectLibc() string {
	if runtime.GOOS != "linux" {
		return ""
	}
	return detectLibc(os.DirFS("/"))
}

func detectLibc(root fs.FS) string {
	if b, err := fs.ReadFile(root, "usr/bin/ldd"); err == nil {
		switch s := string(b); {
		case strings.Contains(s, "musl"):
			return "musl"
		case strings.Contains(s, "GNU C Library"):
			return "glibc"
		}
		return ""
	}
	for _, dir := range []string{"lib", "lib64", "usr/lib"} {
		entries, err := fs.ReadDir(root, dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if name := path.Base(e.Name()); strings.HasPrefix(name, "ld-musl-") {
				return "musl"
			}
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "ld-linux") {
				return "glibc"
			}
		}
	}
	return ""
}
