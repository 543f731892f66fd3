// Package securitydoc holds the test that keeps docs/security.md honest:
// every table row there names a test that exists in this repository, so
// the table of defences is proven by `make test` rather than promised.
package securitydoc
