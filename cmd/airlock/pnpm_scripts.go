package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// nativePnpm finds the pnpm that runs a pnpm project's allowed install
// scripts, as nativeNpm finds npm: never one from a node_modules
// directory, nor an airlock shim.
func nativePnpm() (string, error) {
	p, ok := nativeTool("pnpm")
	if !ok {
		return "", fmt.Errorf("allowed install scripts of a pnpm project run through pnpm (`pnpm rebuild`), and no pnpm was found on PATH")
	}
	return p, nil
}

// pnpmRebuildArgv is the `pnpm rebuild NAME@VERSION` that runs p's install
// scripts in the sandbox, which may write only p's directories and
// scratch. pnpm rebuild builds what node_modules/.pnpm/lock.yaml (pnpm's
// record of the installed tree, which airlock does not write) lists and
// then rewrites node_modules/.modules.yaml; both live in its modules
// directory, so that is moved to scratch, holding the lockfile, while the
// virtual store stays the project's. Also:
//   - every build is allowed (dangerously-allow-all-builds): airlock's
//     [scripts] allow chose this one package, and pnpm 10 would otherwise
//     skip it silently unless onlyBuiltDependencies names it;
//   - the side-effects cache is off (it would upload the built package to
//     pnpm's store, outside the sandbox, and relink every bin);
//   - the store is in scratch, and pnpm does not switch to the version
//     package.json's packageManager names (that would download it).
func pnpmRebuildArgv(pnpmPath, projectDir, scratch string, p scriptPackage, lockfile []byte) ([]string, error) {
	internal := filepath.Join(scratch, "node_modules", ".pnpm")
	if err := os.MkdirAll(internal, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(internal, "lock.yaml"), lockfile, 0o644); err != nil {
		return nil, err
	}
	// pnpm joins modules-dir to the project directory, so it must be
	// relative; both sides with symlinks resolved, as pnpm sees them.
	realProject, err := filepath.EvalSymlinks(projectDir)
	if err != nil {
		return nil, err
	}
	realScratch, err := filepath.EvalSymlinks(scratch)
	if err != nil {
		return nil, err
	}
	modules, err := filepath.Rel(realProject, filepath.Join(realScratch, "node_modules"))
	if err != nil {
		return nil, err
	}
	return []string{pnpmPath, "rebuild", p.id(),
		"--config.modules-dir=" + filepath.ToSlash(modules),
		"--config.virtual-store-dir=node_modules/.pnpm",
		"--config.store-dir=" + filepath.Join(realScratch, "store"),
		"--config.side-effects-cache=false",
		"--config.dangerously-allow-all-builds=true",
		"--config.manage-package-manager-versions=false",
		"--config.ignore-scripts=false", // the project's .npmrc may say true
		"--reporter=append-only",
	}, nil
}
