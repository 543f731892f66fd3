package unpack_test

import (
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/airlock-dev/airlock/unpack"
)

// The caller hashes the same stream NpmTarball reads, and keeps the
// directory only if the digest matches the lockfile's integrity.
func ExampleNpmTarball() {
	const integrity = "sha512-oVekP1cKtI+CTDvHWYFUcMtsK/00wmAEfyqKfNdARm8u1wNVhSgaX7A8d4UuIlUI5e84iEwOhs7ZPYRmzU9U6A=="
	f, err := os.Open("testdata/npm/semver-7.6.3.tgz")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	dir, err := os.MkdirTemp("", "semver")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	h := sha512.New()
	rep, err := unpack.NpmTarball(io.TeeReader(f, h), dir, unpack.NpmOptions{
		Bins:  []string{"bin/semver.js"}, // the lockfile's bin map
		Umask: unpack.ProcessUmask(),
	})
	if err != nil {
		log.Fatal(err) // and remove dir
	}
	if "sha512-"+base64.StdEncoding.EncodeToString(h.Sum(nil)) != integrity {
		log.Fatal("integrity mismatch") // and remove dir
	}
	fmt.Println(rep.Files, "files,", rep.Bytes, "bytes")
	// Output: 52 files, 95824 bytes
}
