package config

import (
	"fmt"

	"github.com/BurntSushi/toml"
)

// What a yarn 2+ install does with a package yarn.lock records with one of
// yarn's builtin compat patches (resolve, typescript, fsevents): airlock
// cannot rebuild the patched zip the lockfile's checksum covers.
const (
	// BuiltinPatchesRefuse refuses the install, naming the package (the
	// default).
	BuiltinPatchesRefuse = "refuse"
	// BuiltinPatchesUnpatched installs the package as published, verified
	// against its own entry's checksum, with a warning; the patches only
	// matter under Plug'n'Play, which airlock does not lay out.
	BuiltinPatchesUnpatched = "unpatched"
)

// BuiltinPatchesEnv overrides [yarn] builtin_patches.
const BuiltinPatchesEnv = "AIRLOCK_YARN_BUILTIN_PATCHES"

// Yarn is [yarn]: settings for yarn 2+ installs.
type Yarn struct {
	// BuiltinPatches is BuiltinPatchesRefuse or BuiltinPatchesUnpatched;
	// "" means the default, BuiltinPatchesRefuse.
	BuiltinPatches string
}

// Unpatched reports whether packages with builtin compat patches are
// installed as published rather than refused.
func (y Yarn) Unpatched() bool { return y.BuiltinPatches == BuiltinPatchesUnpatched }

type yarnFile struct {
	BuiltinPatches string `toml:"builtin_patches"`
}

func checkBuiltinPatches(v string) error {
	switch v {
	case BuiltinPatchesRefuse, BuiltinPatchesUnpatched:
		return nil
	}
	return fmt.Errorf("%q: want %q (the default: refuse the install) or %q (install the published package, verified against its own checksum)", v, BuiltinPatchesRefuse, BuiltinPatchesUnpatched)
}

func (c *Config) readYarn(path string, md toml.MetaData, f yarnFile) error {
	if !md.IsDefined("yarn", "builtin_patches") {
		return nil
	}
	if err := checkBuiltinPatches(f.BuiltinPatches); err != nil {
		return fmt.Errorf("%s: [yarn] builtin_patches = %w", path, err)
	}
	c.Yarn.BuiltinPatches = f.BuiltinPatches
	c.Sources["yarn.builtin_patches"] = path
	return nil
}

// applyYarnEnv applies AIRLOCK_YARN_BUILTIN_PATCHES, which overrides the
// file as every AIRLOCK_* variable does (a CI job can refuse what a
// checked-in airlock.toml allows, or the reverse).
func (c *Config) applyYarnEnv(getenv func(string) string) error {
	v := getenv(BuiltinPatchesEnv)
	if v == "" {
		return nil
	}
	if err := checkBuiltinPatches(v); err != nil {
		return fmt.Errorf("%s=%w", BuiltinPatchesEnv, err)
	}
	c.Yarn.BuiltinPatches = v
	c.Sources["yarn.builtin_patches"] = "env " + BuiltinPatchesEnv
	return nil
}
