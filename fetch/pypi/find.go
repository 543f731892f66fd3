package pypi

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/airlock-dev/airlock/fetch/client"
)

// Hash is a locked digest: a lowercase algorithm name ("sha256") and
// lowercase hex. It has the shape of lock/pypi's Hash, so the two convert.
type Hash struct{ Algo, Hex string }

func (h Hash) String() string { return h.Algo + ":" + h.Hex }

// Finder lists a project's files across the configured indexes, from the
// network or, offline, from the pages remembered in Pages.
type Finder struct {
	Getter Getter
	Config *Config
	// Pages remembers every page read online; nil remembers nothing.
	Pages *PageCache
	// Provenances remembers every provenance object fetched online
	// (Provenance); nil remembers nothing.
	Provenances *ProvenanceCache
	// Offline reads pages only from Pages, and provenance objects only
	// from Provenances.
	Offline bool
}

// Files returns every file the indexes list for name, primary index first.
// Like pip, airlock looks at every index; which of the files is acceptable
// is decided by the lockfile's hashes (Candidates), not by which index
// listed it.
func (f *Finder) Files(ctx context.Context, name string) ([]File, error) {
	if err := f.checkIndexes(name); err != nil {
		return nil, err
	}
	var files []File
	for _, ix := range f.Config.Indexes {
		page, err := f.page(ctx, ix, name)
		if err != nil {
			return nil, err
		}
		files = append(files, page.Files...)
	}
	return files, nil
}

// FirstIndexFiles returns the files of the first index that lists name,
// asking the extra indexes in the order given and then the primary one,
// and no further: uv's first-index strategy. Resolving a name trusts the
// index's hashes, so a project of a private (extra) index must not be
// taken from a public index where anyone can publish the same name
// (dependency confusion); pip, which merges every index's files, would
// take the highest version wherever it is.
func (f *Finder) FirstIndexFiles(ctx context.Context, name string) ([]File, error) {
	if err := f.checkIndexes(name); err != nil {
		return nil, err
	}
	order := append(append([]Index(nil), f.Config.Indexes[1:]...), f.Config.Indexes[0])
	for _, ix := range order {
		page, err := f.page(ctx, ix, name)
		if err != nil {
			return nil, err
		}
		if len(page.Files) > 0 {
			return page.Files, nil
		}
	}
	return nil, nil
}

func (f *Finder) checkIndexes(name string) error {
	if f.Config == nil || len(f.Config.Indexes) == 0 {
		src := ""
		if f.Config != nil && f.Config.NoIndexSource != "" {
			src = " (" + f.Config.NoIndexSource + ")"
		}
		return fmt.Errorf("%s: the lockfile names no file URL for it and %w%s; give an index with --index-url, or use a lockfile that records wheel URLs", name, ErrNoIndex, src)
	}
	return nil
}

// page reads name's page from ix, or offline from Pages.
func (f *Finder) page(ctx context.Context, ix Index, name string) (*Page, error) {
	if f.Offline {
		if f.Pages == nil {
			return nil, &PageNotCachedError{Project: name, Index: ix.String()}
		}
		page, err := f.Pages.Get(ix.URL, name)
		if err != nil {
			return nil, err
		}
		if page == nil {
			return nil, &PageNotCachedError{Project: name, Index: ix.String()}
		}
		return page, nil
	}
	page, err := GetPage(ctx, f.Getter, ix, name)
	if err != nil {
		return nil, err
	}
	if f.Pages != nil {
		// A page that cannot be remembered costs only --offline.
		_ = f.Pages.Put(ix.URL, name, page)
	}
	return page, nil
}

// ErrPageNotCached is matched by a *PageNotCachedError.
var ErrPageNotCached = errors.New("index page not in the cache")

// PageNotCachedError reports an offline lookup of a page never read online.
// It matches ErrPageNotCached.
type PageNotCachedError struct {
	Project, Index string
}

func (e *PageNotCachedError) Error() string {
	return fmt.Sprintf("%s's file list from %s is not in the cache and --offline forbids the network; run the same install once while online to fill the cache", e.Project, e.Index)
}

func (e *PageNotCachedError) Is(target error) bool { return target == ErrPageNotCached }

// Candidate is a file that may be installed, with the locked hash its bytes
// must have.
type Candidate struct {
	File File
	// Hashes is the one locked hash the index's own hash picked out; when
	// the index gave no usable hash and several were locked, all of them
	// (Ambiguous), for the caller to try.
	Hashes    []Hash
	Ambiguous bool
}

// Rejected is a file whose index hash is none of the locked ones.
type Rejected struct {
	File File
	Hash Hash // what the index claims
}

// Candidates pairs files with locked hashes. A file whose index lists a
// hash of a locked algorithm is a candidate only if that hash is locked;
// otherwise it is rejected (the index describes other bytes than the lock
// allows, so downloading them could only fail). A file the index gives no
// such hash for is a candidate to be verified against the locked hash (or
// hashes). Among files of one name the first one whose index hash matched
// is kept, else the first one listed: the same name on two indexes is
// the same file only if its bytes match the lock.
func Candidates(files []File, locked []Hash) (cands []Candidate, rejected []Rejected) {
	allowed := map[string]map[string]bool{}
	for _, h := range locked {
		a := strings.ToLower(h.Algo)
		if allowed[a] == nil {
			allowed[a] = map[string]bool{}
		}
		allowed[a][strings.ToLower(h.Hex)] = true
	}
	byName := map[string]int{}
	for _, f := range files {
		c := Candidate{File: f}
		matched, mismatch := false, Hash{}
		for algo, hexes := range allowed {
			got, ok := f.Hashes[algo]
			if !ok {
				continue
			}
			if hexes[got] {
				c.Hashes, matched = []Hash{{Algo: algo, Hex: got}}, true
				break
			}
			mismatch = Hash{Algo: algo, Hex: got}
		}
		if !matched && mismatch.Algo != "" {
			rejected = append(rejected, Rejected{File: f, Hash: mismatch})
			continue
		}
		if !matched {
			c.Hashes = append([]Hash(nil), locked...)
			c.Ambiguous = len(locked) > 1
		}
		if i, seen := byName[f.Filename]; seen {
			if matched && cands[i].Ambiguous {
				cands[i] = c
			}
			continue
		}
		byName[f.Filename] = len(cands)
		cands = append(cands, c)
	}
	return cands, rejected
}

// Locator tells fetch.Fetcher where a wheel is: the URL the lockfile
// recorded, or the one the index listed for the selected file, which the
// caller puts in lock.Package.Resolved after selection (selecting a wheel
// needs the file list before anything is fetched, so the lookup happens
// there, through Finder and Candidates).
type Locator struct{}

// TarballURL returns resolved after checking it is an absolute https:// URL
// without credentials.
func (Locator) TarballURL(name, version, resolved string) (string, error) {
	if resolved == "" {
		return "", fmt.Errorf("%s %s: no file URL (neither the lockfile nor an index named one)", name, version)
	}
	u, err := url.Parse(resolved)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		return "", fmt.Errorf("%s %s: file URL %q: %w", name, version, client.Redact(resolved), ErrBadIndexURL)
	case !strings.EqualFold(u.Scheme, "https"):
		return "", fmt.Errorf("%s %s: file URL %s: %w", name, version, client.Redact(resolved), ErrInsecureIndex)
	}
	return resolved, nil
}
