// Package analyze looks at a package's files before airlock trusts them and
// reports findings: install scripts that download or evaluate code, install
// hooks that are obfuscated or reach for credentials, native executables
// where none belong, .pth files in wheels, and manifests that disagree with
// the lockfile. It reads files and never runs them.
//
// Every finding names a rule (Rules), a severity in SARIF's vocabulary
// (note, warning, error), the package and the file; policy decides which
// severities fail an install. WriteSARIF renders findings as SARIF 2.1.0 for
// GitHub code scanning.
package analyze
