// Package install turns verified archives into the final tree: ecosystem
// layouts live in sub-packages (install/npm), built in a staging directory
// and swapped in atomically.
package install
