// Package deps pins the approved third-party modules while the packages that
// use them are being written in parallel, so that no one's `go mod tidy` drops
// another's dependency. Delete it once every module here is imported for real.
package deps

import (
	_ "github.com/BurntSushi/toml"
	_ "github.com/hashicorp/go-retryablehttp"
	_ "github.com/klauspost/compress/gzip"
	_ "github.com/rogpeppe/go-internal/testscript"
	_ "github.com/schollz/progressbar/v3"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/sys/unix"
)
