// Package unpack extracts package archives on the assumption that they are
// hostile. Every refusal has a name, an error value and a test.
package unpack
