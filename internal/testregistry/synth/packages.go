package synth

import (
	"encoding/json"
	"fmt"
	"strings"
)

// scriptMarker is a command that, if any package script ever ran, leaves a
// file named AIRLOCK_SCRIPT_RAN.<event> in the directory npm was started from
// (INIT_CWD) and another in the package directory. Tests assert both absent.
func scriptMarker(event string) string {
	return `node -e "var f=require('fs'),p=require('path');` +
		`f.writeFileSync(p.join(process.env.INIT_CWD||'.','AIRLOCK_SCRIPT_RAN.` + event + `'),'` + event + `');` +
		`f.writeFileSync('AIRLOCK_SCRIPT_RAN.` + event + `','` + event + `')"`
}

const nodeBin = "#!/usr/bin/env node\n"

// Packages is the synthetic fixture set. Every name is under @airlock-fixture
// so that no test can mistake one for a real package.
func Packages() []Package {
	return []Package{
		// Optional dependencies for other platforms: npm records them in the
		// lockfile (os/cpu/libc copied from the manifest) and skips them at
		// install time on a linux-x64-glibc machine.
		native("native-darwin-arm64", `"os": ["darwin"], "cpu": ["arm64"]`),
		native("native-linux-musl", `"os": ["linux"], "libc": ["musl"]`),
		native("native-win32", `"os": ["win32"]`),
		// Matches linux-x64-glibc, so it is installed.
		native("native-linux-x64-gnu", `"os": ["linux"], "cpu": ["x64"], "libc": ["glibc"]`),
		// A negated constraint: installed everywhere but Windows.
		native("native-not-win32", `"os": ["!win32"]`),
		{
			Manifest: `{
  "name": "@airlock-fixture/with-natives",
  "version": "1.0.0",
  "description": "Picks a native build through optional dependencies, like esbuild or swc.",
  "license": "MIT",
  "main": "index.js",
  "optionalDependencies": {
    "@airlock-fixture/native-darwin-arm64": "1.0.0",
    "@airlock-fixture/native-linux-musl": "1.0.0",
    "@airlock-fixture/native-linux-x64-gnu": "1.0.0",
    "@airlock-fixture/native-not-win32": "1.0.0",
    "@airlock-fixture/native-win32": "1.0.0"
  }
}
`,
			Files: []File{{Path: "index.js", Mode: 0o644, Body: "module.exports = 'with-natives'\n"}},
		},

		// Bundled dependencies: the bundled packages travel inside the
		// parent's tarball (package/node_modules/...) and are not published
		// on their own, so an installer that tries to fetch them fails.
		{
			Manifest: `{
  "name": "@airlock-fixture/bundler",
  "version": "1.0.0",
  "description": "Ships its dependencies inside its own tarball.",
  "license": "MIT",
  "main": "index.js",
  "dependencies": {
    "@airlock-fixture/bundled-dep": "1.0.0",
    "ms": "2.1.3"
  },
  "bundleDependencies": [
    "@airlock-fixture/bundled-dep"
  ]
}
`,
			Files: []File{
				{Path: "index.js", Mode: 0o644, Body: "module.exports = require('@airlock-fixture/bundled-dep')\n"},
				{Path: "node_modules/@airlock-fixture/bundled-dep/package.json", Mode: 0o644, Body: `{
  "name": "@airlock-fixture/bundled-dep",
  "version": "1.0.0",
  "license": "MIT",
  "main": "index.js",
  "bin": {
    "bundled-cli": "cli.js"
  },
  "dependencies": {
    "@airlock-fixture/bundled-leaf": "2.0.0"
  }
}
`},
				{Path: "node_modules/@airlock-fixture/bundled-dep/index.js", Mode: 0o644, Body: "module.exports = require('@airlock-fixture/bundled-leaf')\n"},
				{Path: "node_modules/@airlock-fixture/bundled-dep/cli.js", Mode: 0o644, Body: nodeBin + "console.log('bundled-cli')\n"},
				{Path: "node_modules/@airlock-fixture/bundled-leaf/package.json", Mode: 0o644, Body: `{
  "name": "@airlock-fixture/bundled-leaf",
  "version": "2.0.0",
  "license": "MIT",
  "main": "index.js"
}
`},
				{Path: "node_modules/@airlock-fixture/bundled-leaf/index.js", Mode: 0o644, Body: "module.exports = 'bundled-leaf'\n"},
			},
		},

		// Install scripts that would leave marker files if they ever ran.
		{
			Manifest: `{
  "name": "@airlock-fixture/postinstall-marker",
  "version": "1.0.0",
  "description": "Every install-time script writes a marker file; none may ever run.",
  "license": "MIT",
  "main": "index.js",
  "scripts": {
    "preinstall": "` + jsonEscape(scriptMarker("preinstall")) + `",
    "install": "` + jsonEscape(scriptMarker("install")) + `",
    "postinstall": "` + jsonEscape(scriptMarker("postinstall")) + `",
    "prepare": "` + jsonEscape(scriptMarker("prepare")) + `"
  }
}
`,
			Files: []File{{Path: "index.js", Mode: 0o644, Body: "module.exports = 'postinstall-marker'\n"}},
		},
		// No scripts at all, but a binding.gyp: publishing adds
		// "install": "node-gyp rebuild", so the registry (and the lockfile)
		// say hasInstallScript.
		{
			Manifest: `{
  "name": "@airlock-fixture/gyp-only",
  "version": "1.0.0",
  "description": "A native addon declared only by binding.gyp.",
  "license": "MIT",
  "main": "index.js"
}
`,
			Files: []File{
				{Path: "binding.gyp", Mode: 0o644, Body: "{ \"targets\": [ { \"target_name\": \"gyp_only\", \"sources\": [ \"gyp_only.cc\" ] } ] }\n"},
				{Path: "gyp_only.cc", Mode: 0o644, Body: "#error \"airlock must never build this\"\n"},
				{Path: "index.js", Mode: 0o644, Body: "module.exports = 'gyp-only'\n"},
			},
		},

		// directories.bin instead of bin: publishing expands it to a bin map
		// of every non-dot file under the directory.
		{
			Manifest: `{
  "name": "@airlock-fixture/dir-bin",
  "version": "1.0.0",
  "description": "Declares its commands with directories.bin.",
  "license": "MIT",
  "directories": {
    "bin": "./tools"
  }
}
`,
			Files: []File{
				{Path: "tools/dir-bin-a", Mode: 0o644, Body: nodeBin + "console.log('a')\n"},
				{Path: "tools/dir-bin-b.js", Mode: 0o755, Body: nodeBin + "console.log('b')\n"},
				{Path: "tools/.hidden", Mode: 0o644, Body: "not a command\n"},
			},
		},

		// Modes and ignore files, in a deliberate entry order.
		{
			KeepOrder: true,
			Manifest: `{
  "name": "@airlock-fixture/modes",
  "version": "1.0.0",
  "description": "Odd file modes, a non-executable bin and ignore files.",
  "license": "MIT",
  "bin": "cli.js"
}
`,
			Files: []File{
				{Path: "lib", Dir: true, Mode: 0o700},
				{Path: "cli.js", Mode: 0o644, Body: nodeBin + "console.log('modes')\n"},
				{Path: "lib/owner-only.js", Mode: 0o700, Body: "// 0700 in the tarball\n"},
				{Path: "lib/private.js", Mode: 0o600, Body: "// 0600 in the tarball\n"},
				{Path: "lib/readonly.js", Mode: 0o444, Body: "// 0444 in the tarball\n"},
				{Path: "lib/group.js", Mode: 0o640, Body: "// 0640 in the tarball\n"},
				{Path: "lib/group-exec.sh", Mode: 0o775, Body: "#!/bin/sh\necho 0775\n"},
				{Path: "lib/world.sh", Mode: 0o777, Body: "#!/bin/sh\necho 0777\n"},
				// Alone: renamed to .npmignore.
				{Path: ".gitignore", Mode: 0o644, Body: "# root .gitignore\n"},
				// After a .npmignore in the same directory: dropped.
				{Path: "sub/.npmignore", Mode: 0o644, Body: "# sub .npmignore\n"},
				{Path: "sub/.gitignore", Mode: 0o644, Body: "# sub .gitignore, never extracted\n"},
				// Before a .npmignore: renamed, then the .npmignore entry
				// overwrites it.
				{Path: "late/.gitignore", Mode: 0o644, Body: "# late .gitignore, overwritten\n"},
				{Path: "late/.npmignore", Mode: 0o644, Body: "# late .npmignore\n"},
			},
		},

		// A top directory other than "package/", no directory entries, and
		// a bin whose hashbang line ends in CRLF (bin-links rewrites it).
		{
			Root: "odd-root-1.0.0",
			Manifest: `{
  "name": "@airlock-fixture/odd-root",
  "version": "1.0.0",
  "description": "Packed by something other than npm pack.",
  "license": "MIT",
  "bin": {
    "odd-crlf": "./bin/crlf.js"
  }
}
`,
			Files: []File{
				{Path: "bin/crlf.js", Mode: 0o644, Body: "#!/usr/bin/env node\r\nconsole.log('crlf')\r\n"},
				{Path: "deep/a/b/c/d.txt", Mode: 0o644, Body: "deep\n"},
			},
		},

		// Peer dependencies: peer-user needs peer-host (installed by npm ≥ 7
		// and marked "peer": true) and optionally peer-optional (not installed).
		{
			Manifest: `{
  "name": "@airlock-fixture/peer-host",
  "version": "1.0.0",
  "license": "MIT"
}
`,
			Files: []File{{Path: "index.js", Mode: 0o644, Body: "module.exports = 'peer-host'\n"}},
		},
		{
			Manifest: `{
  "name": "@airlock-fixture/peer-optional",
  "version": "1.0.0",
  "license": "MIT"
}
`,
			Files: []File{{Path: "index.js", Mode: 0o644, Body: "module.exports = 'peer-optional'\n"}},
		},
		{
			Manifest: `{
  "name": "@airlock-fixture/peer-user",
  "version": "1.0.0",
  "license": "MIT",
  "peerDependencies": {
    "@airlock-fixture/peer-host": "^1.0.0",
    "@airlock-fixture/peer-optional": "^1.0.0"
  },
  "peerDependenciesMeta": {
    "@airlock-fixture/peer-optional": {
      "optional": true
    }
  }
}
`,
			Files: []File{{Path: "index.js", Mode: 0o644, Body: "module.exports = 'peer-user'\n"}},
		},

		// Dev tooling: dev-tool is a devDependency with a bin; shared-opt is
		// reached both from dev-tool and as a root optional dependency, which
		// npm records as devOptional.
		{
			Manifest: `{
  "name": "@airlock-fixture/dev-tool",
  "version": "1.0.0",
  "license": "MIT",
  "bin": {
    "dev-tool": "bin/dev-tool.js"
  },
  "dependencies": {
    "@airlock-fixture/shared-opt": "1.0.0"
  }
}
`,
			Files: []File{{Path: "bin/dev-tool.js", Mode: 0o755, Body: nodeBin + "console.log('dev-tool')\n"}},
		},
		{
			Manifest: `{
  "name": "@airlock-fixture/shared-opt",
  "version": "1.0.0",
  "license": "MIT"
}
`,
			Files: []File{{Path: "index.js", Mode: 0o644, Body: "module.exports = 'shared-opt'\n"}},
		},
	}
}

func native(name, constraints string) Package {
	return Package{
		Manifest: `{
  "name": "@airlock-fixture/` + name + `",
  "version": "1.0.0",
  "description": "A prebuilt binary for one platform.",
  "license": "MIT",
  "main": "index.js",
  ` + constraints + `
}
`,
		Files: []File{{Path: "index.js", Mode: 0o644, Body: "module.exports = '" + name + "'\n"}},
	}
}

func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// FileName is the name npm pack gives the tarball: the package name with
// the scope's "@" dropped and "/" turned into "-", then "-<version>.tgz".
func (p Package) FileName() (string, error) {
	var m struct{ Name, Version string }
	if err := json.Unmarshal([]byte(p.Manifest), &m); err != nil {
		return "", fmt.Errorf("synth: package.json: %w", err)
	}
	if m.Name == "" || m.Version == "" {
		return "", fmt.Errorf("synth: package.json lacks name or version")
	}
	n := strings.ReplaceAll(strings.TrimPrefix(m.Name, "@"), "/", "-")
	return n + "-" + m.Version + ".tgz", nil
}
