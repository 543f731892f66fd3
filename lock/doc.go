// Package lock turns a project's lockfile into one list of packages.
//
// Each ecosystem has a sub-package (lock/npm, later lock/pypi) that parses its
// lockfile formats into []Package. Parsing is pure: the parsers read the bytes
// they are given and nothing else, so every other stage can trust that the
// package list says exactly what the lockfile says and no more.
package lock
