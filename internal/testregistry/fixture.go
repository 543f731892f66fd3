package testregistry

import (
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"path"
	"strings"
)

// FixtureTarball reads name@version's archive from the fixture set in
// tarballs/, without a server, and checks it against integrity (a lockfile's
// "sha512-…"), as airlock checks what it downloads: the installers' tests
// extract the packages their lockfiles pin from it.
func FixtureTarball(name, version, integrity string) ([]byte, error) {
	file := strings.TrimPrefix(strings.ReplaceAll(name, "/", "-"), "@") + "-" + version + ".tgz"
	data, err := fixtures.ReadFile(path.Join("tarballs", file))
	if err != nil {
		return nil, err
	}
	sum := sha512.Sum512(data)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != integrity {
		return nil, fmt.Errorf("%s@%s: integrity %s, lockfile says %s", name, version, got, integrity)
	}
	return data, nil
}
