package config

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/airlock-dev/airlock/internal/safefile"
	"github.com/airlock-dev/airlock/verify"
)

// KeyPinsFile is the name of the file that holds registry signing keys
// trusted on first use. It lives beside airlock.toml in the project and is
// written only by airlock. A separate file, not airlock.toml: rewriting a
// user's TOML would drop its comments and reorder its tables, while a
// machine-owned file can be rewritten whole and reviewed in a diff like a
// lockfile.
const KeyPinsFile = "airlock.keys.toml"

// KeyPin is one registry's keys as first seen.
type KeyPin struct {
	URL     string
	Pinned  time.Time
	Keys    []verify.RegistryKey
	Comment string
}

type pinsFile struct {
	Registry []pinFile `toml:"registry"`
}

type pinFile struct {
	URL    string    `toml:"url"`
	Pinned time.Time `toml:"pinned"`
	Keys   []keyFile `toml:"keys"`
}

// LoadKeyPins reads path; a missing file is no pins. Unknown keys are
// errors, as in airlock.toml.
func LoadKeyPins(path string) (map[string]KeyPin, error) {
	data, err := safefile.Read(path, maxFileSize)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]KeyPin{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var f pinsFile
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		return nil, fmt.Errorf("%s: unknown setting %s; this file is written by airlock (delete it to pin the registries' keys again)", path, u[0])
	}
	out := map[string]KeyPin{}
	for _, p := range f.Registry {
		u, err := NormalizeRegistryURL(p.URL)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		pin := KeyPin{URL: u, Pinned: p.Pinned}
		for _, k := range p.Keys {
			key, err := verify.NewRegistryKey(k.KeyID, k.Key, k.Expires)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", path, u, err)
			}
			pin.Keys = append(pin.Keys, key)
		}
		if len(pin.Keys) == 0 {
			return nil, fmt.Errorf("%s: %s pins no keys", path, u)
		}
		out[u] = pin
	}
	return out, nil
}

// SaveKeyPins writes pins to path atomically (temp file and rename in the
// same directory), sorted by URL so the file diffs cleanly.
func SaveKeyPins(path string, pins map[string]KeyPin) error {
	urls := make([]string, 0, len(pins))
	for u := range pins {
		urls = append(urls, u)
	}
	sort.Strings(urls)
	var f pinsFile
	for _, u := range urls {
		p := pins[u]
		pf := pinFile{URL: u, Pinned: p.Pinned.UTC().Truncate(time.Second)}
		for _, k := range p.Keys {
			pf.Keys = append(pf.Keys, keyFile{KeyID: k.KeyID, Key: encodeKey(k), Expires: k.ExpiresString()})
		}
		f.Registry = append(f.Registry, pf)
	}
	var buf bytes.Buffer
	buf.WriteString("# Registry signing keys trusted on first use, written by airlock.\n" +
		"# Review and commit this file with the lockfile. A registry whose published\n" +
		"# keys differ from these is refused; if a rotation is genuine, check the new\n" +
		"# keys with the registry's operator, then delete the entry to pin them again.\n\n")
	if err := toml.NewEncoder(&buf).Encode(f); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".airlock-keys-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, werr := tmp.Write(buf.Bytes())
	if werr == nil {
		werr = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
}

func encodeKey(k verify.RegistryKey) string {
	return strings.TrimSpace(b64(k.Key))
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
