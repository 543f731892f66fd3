package pypi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/airlock-dev/airlock/fetch/cache"
	"github.com/airlock-dev/airlock/internal/safefile"
)

// PageCache remembers index pages under <cache root>/pypi-simple, one JSON
// file per index and project, so that --offline can still select wheels.
// It is metadata, never trusted for integrity: every file chosen from it is
// verified against the lockfile's hash like any other download. A page's
// mtime is its last use (renewed by Get at most daily, and by Put), which
// `airlock cache gc` ages it out by (cache.GCDir).
type PageCache struct{ dir string }

// OpenPageCache returns the page cache under the airlock cache root.
func OpenPageCache(cacheRoot string) *PageCache {
	return &PageCache{dir: filepath.Join(cacheRoot, "pypi-simple")}
}

func (c *PageCache) path(indexURL, name string) string {
	sum := sha256.Sum256([]byte(indexURL + "\n" + Normalize(name)))
	return filepath.Join(c.dir, hex.EncodeToString(sum[:])+".json")
}

// Get returns the remembered page, or nil when there is none.
func (c *PageCache) Get(indexURL, name string) (*Page, error) {
	p := c.path(indexURL, name)
	data, err := safefile.Read(p, MaxPageBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading a cached index page: %w", err)
	}
	var page Page
	if err := json.Unmarshal(data, &page); err != nil {
		// A damaged page is as good as none: remove it so that the next
		// online run writes a fresh one.
		os.Remove(p)
		return nil, nil
	}
	// A page an offline run still reads is in use: cache gc keeps it.
	cache.TouchUsed(p)
	return &page, nil
}

// Put remembers page, replacing the previous copy atomically.
func (c *PageCache) Put(indexURL, name string, page *Page) error {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return err
	}
	data, err := json.Marshal(page)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(c.dir, ".airlock-tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), c.path(indexURL, name))
}
