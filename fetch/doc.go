// Package fetch is the only code that touches the network or the cache.
//
// It owns the strict TLS client, the registry URL and credential rules, the
// retries, the content-addressed cache and the parallel download scheduler.
// Whatever it hands out has matched the lockfile's digest.
package fetch
