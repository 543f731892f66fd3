package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch"
	"github.com/airlock-dev/airlock/fetch/cache"
	"github.com/airlock-dev/airlock/fetch/store"
	"github.com/airlock-dev/airlock/internal/auditlog"
	"github.com/airlock-dev/airlock/lock"
	"github.com/airlock-dev/airlock/unpack"
	"github.com/airlock-dev/airlock/verify"
)

// openStore opens the extracted store beside cache c ([cache] store), or
// returns nil when it is off or unusable (reported to warn: installs then
// inflate every archive, as before, which is slower but just as safe).
func openStore(cfg *config.Config, c *cache.Cache, warn func(string)) *store.Store {
	if c == nil || cfg.Store == config.StoreOff {
		return nil
	}
	keyPath := cfg.StoreKey
	if keyPath == "" {
		keyPath = store.DefaultKeyPath(os.Getenv)
	}
	key, err := store.LoadKey(keyPath, c.Dir())
	if err != nil {
		warn(fmt.Sprintf("%v\nthe extracted store is off for this run (archives are inflated from the verified cache instead); fix the key, or set [cache] store = \"off\" to silence this", err))
		return nil
	}
	mode := store.Link
	if cfg.Store == config.StoreCopy {
		mode = store.Copy
	}
	s, err := store.Open(filepath.Join(c.Dir(), "store"), key, mode)
	if err != nil {
		warn(fmt.Sprintf("%v\nthe extracted store is off for this run (archives are inflated from the verified cache instead)", err))
		return nil
	}
	// Builders that died leave temporary directories; live ones hold a
	// lock and are left alone.
	s.RemoveStale()
	return s
}

// storeLinksKey marks a context whose installer may receive hard links
// from the store: install/npm, whose only later change to package files is
// bin-links' chmod and fix-bin of bin targets, which are copied instead
// (binTargets). Other installers chmod files of their own accord (pnpm
// gives every file its store mode), so they get copies: a chmod through a
// hard link would change the store and every tree linked to it.
type storeLinksKey struct{}

// withStoreLinks lets extractArchive hard-link from the store under ctx.
func withStoreLinks(ctx context.Context) context.Context {
	return context.WithValue(ctx, storeLinksKey{}, true)
}

// storeNotes remembers, per store, that a warning said once per run was
// said: a lost key makes every entry untrusted at once.
var storeNotes sync.Map // "<store dir>\x00<kind>" → struct{}

func storeNoteOnce(s *store.Store, kind string) bool {
	_, said := storeNotes.LoadOrStore(s.Dir()+"\x00"+kind, struct{}{})
	return !said
}

// storeExtract places one npm package from the extracted store, or builds
// its store entry while extracting the verified archive.
//
// The security rules (fetch/store's doc says how the store keeps them):
//   - an entry is built only from the stream Fetch verified, and committed
//     only after Fetch returned nil (its final digest check passed);
//   - an entry's manifest is trusted only if its HMAC verifies under a key
//     kept outside the cache; otherwise it is removed and rebuilt;
//   - every placed file is re-hashed against the manifest; a mismatch
//     removes the entry, is warned about, and the package is rebuilt from
//     the cached archive, which is verified against the lockfile again (its
//     mismatch is an error, as always);
//   - files the installer will chmod or rewrite (bin targets), and every
//     file of a package whose install scripts may run, are copied rather
//     than hard-linked, so that nothing an install does reaches the store.
type storeExtract struct {
	s     *store.Store
	id    store.ID
	pkg   lock.Package
	opts  unpack.NpmOptions
	place store.Placement
	b     *store.Builder
	files []store.File
	// build says the archive is in the local cache, so this is not the
	// package's first install: extract it into a new store entry.
	build bool
}

// newStoreExtract returns nil when pkg is not for the store: no store, a
// sha1-only pin (the store would extend a weak pin's reach to every tree it
// links into), or limits other than the defaults the entries were built
// under.
func newStoreExtract(ctx context.Context, f *fetch.Fetcher, pkg lock.Package, opts unpack.NpmOptions) *storeExtract {
	if f.Store == nil || opts.Limits != (unpack.Limits{}) {
		return nil
	}
	integ, err := verify.ParseSRI(pkg.Integrity)
	if err != nil {
		return nil
	}
	want := integ.Strongest()
	if want.Algorithm == "sha1" {
		return nil
	}
	procUmask := opts.Umask & os.ModePerm
	if !opts.UmaskIsProcess {
		procUmask = unpack.ProcessUmask()
	}
	umask := opts.Umask & os.ModePerm
	if umask == 0 {
		umask = procUmask
	}
	marked := normalizedBins(opts.Bins)
	// Everything that shapes the files or their modes names the entry.
	layout := fmt.Sprintf("npm-tar umask=%03o keep-gitignore=%t bins=%s", umask, opts.KeepGitignore, strconv.Quote(strings.Join(marked, "\x00")))
	copied := map[string]bool{}
	for _, target := range pkg.Bin {
		if n := normalizeBin(target); n != "" {
			copied[n] = true
		}
	}
	sx := &storeExtract{
		s:    f.Store,
		id:   store.ID{Integrity: want, Layout: layout},
		pkg:  pkg,
		opts: opts,
		place: store.Placement{
			DirMode: (0o777 &^ umask) | 0o700,
			Umask:   procUmask,
			// Install scripts may write into their package: no links.
			CopyAll: pkg.HasInstallScript || ctx.Value(storeLinksKey{}) == nil,
		},
	}
	sx.opts.Digests = true
	if len(copied) > 0 {
		sx.place.Copy = func(rel string) bool { return copied[rel] }
	}
	return sx
}

// normalizeBin is npm-normalize-package-bin's path rule, as unpack and
// install/npm apply it: backslashes are slashes and the path is resolved
// against the package root.
func normalizeBin(p string) string {
	return path.Clean("/" + strings.ReplaceAll(p, `\`, "/"))[1:]
}

func normalizedBins(bins []string) []string {
	var out []string
	for _, b := range bins {
		if n := normalizeBin(b); n != "" {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return slicesCompact(out)
}

func slicesCompact(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// fetch is f.Fetch(ctx, pkg, consume) with the store in front: a package
// whose entry passes its checks is laid out in dir from the store, and
// reported as a cache hit; otherwise Fetch runs (consume extracting through
// sx.unpack) and, once it returned nil, the new entry is laid out in dir
// and committed.
func (sx *storeExtract) fetch(ctx context.Context, f *fetch.Fetcher, pkg lock.Package, dir string, rep *reporter, consume func(io.Reader) error) (fetch.Result, error) {
	if sx == nil {
		return f.Fetch(ctx, pkg, consume)
	}
	st, placed, err := sx.fromStore(ctx, dir, rep)
	if placed || err != nil {
		if placed && f.Cache != nil {
			// The blob is what a bad entry is rebuilt from: in use.
			f.Cache.MarkUsed(sx.id.Integrity)
		}
		return fetch.Result{FromCache: true, Bytes: st.Archive, Digest: sx.id.Integrity}, err
	}
	// An entry is built from a cached archive only, that is, on the
	// second install of a package: building one costs a quarter more CPU
	// than extracting (SHA-256 of every file, a link per file, the
	// manifest), which a first, cold install would pay for nothing if the
	// archive is never installed again.
	sx.build = f.Cache != nil && f.Cache.Has(sx.id.Integrity)
	res, err := f.Fetch(ctx, pkg, consume)
	if err != nil {
		sx.abort()
		return res, err
	}
	return res, sx.finish(dir, res.Bytes, rep)
}

// unpack is the extraction Fetch's consumer runs: into a new store entry
// when sx is set, else (or if the store cannot take one) straight into dir.
func (sx *storeExtract) unpack(r io.Reader, dir string, opts unpack.NpmOptions) (*unpack.Report, error) {
	if sx == nil {
		return unpack.NpmTarball(r, dir, opts)
	}
	return sx.extract(r, dir)
}

// fromStore lays pkg out in dir from its store entry. It returns false
// (and dir possibly not empty: Fetch's consumer empties it) when the package
// must come from its archive: no entry, or one that failed its checks
// (warned about, audited and removed).
func (sx *storeExtract) fromStore(ctx context.Context, dir string, rep *reporter) (store.Stats, bool, error) {
	st, err := sx.s.Place(ctx, sx.id, dir, sx.place)
	var ue *store.UntrustedError
	var ce *store.CorruptError
	pkg := sx.pkg
	audit := auditlog.Event{Kind: "verify", Result: "failed", Package: pkg.Name, Version: pkg.Version, Path: pkg.Path, Digest: pkg.Integrity}
	switch {
	case err == nil:
		return st, true, nil
	case errors.Is(err, store.ErrNotFound):
	case ctx.Err() != nil:
		return st, false, err
	case errors.As(err, &ce):
		// A file of an authentic entry changed: someone altered the store
		// (or a tree it was linked into). Rebuilt from the archive, which
		// the lockfile still pins.
		rep.warn(event{Name: pkg.Name, Version: pkg.Version, Path: pkg.Path, Want: ce.Want, Got: ce.Got,
			Message: fmt.Sprintf("%v; rebuilding %s@%s from its verified archive", err, pkg.Name, pkg.Version)})
		audit.Detail = err.Error()
		rep.audit.add(audit)
	case errors.As(err, &ue):
		// Forged or edited (entries of other keys have other names and
		// are never found): never used, rebuilt.
		if storeNoteOnce(sx.s, "untrusted") {
			rep.warn(event{Name: pkg.Name, Version: pkg.Version, Path: pkg.Path,
				Message: fmt.Sprintf("%v; rebuilding it from the verified archive (other untrusted entries in this run are rebuilt without a warning)", err)})
		}
		audit.Detail = err.Error()
		rep.audit.add(audit)
	default:
		if storeNoteOnce(sx.s, "error") {
			rep.warn(event{Name: pkg.Name, Version: pkg.Version, Path: pkg.Path,
				Message: fmt.Sprintf("extracted store: %v; extracting from the verified archive instead", err)})
		}
	}
	return st, false, nil
}

// extract is Fetch's consumer: it unpacks the stream into a new store
// entry (or, if the store cannot take one, straight into dir). Fetch may
// call it again after a bad cache blob or download; each call starts over.
func (sx *storeExtract) extract(r io.Reader, dir string) (*unpack.Report, error) {
	sx.abort()
	direct := sx.opts
	direct.Digests = false
	if !sx.build {
		return unpack.NpmTarball(r, dir, direct)
	}
	b, err := sx.s.Begin(sx.id)
	if err != nil {
		return unpack.NpmTarball(r, dir, direct)
	}
	sx.b = b
	rep, err := unpack.NpmTarball(r, b.Dir(), sx.opts)
	if err != nil {
		return nil, err
	}
	sx.files = make([]store.File, len(rep.Digests))
	for i, d := range rep.Digests {
		sx.files[i] = store.File{Path: d.Path, Mode: d.Mode, Size: d.Size, SHA256: d.SHA256}
	}
	copied := binTargets(b.Dir(), sx.files)
	for i := range sx.files {
		sx.files[i].Copy = copied[sx.files[i].Path]
	}
	return rep, nil
}

// binTargets lists the files of an extracted package that an installer may
// chmod or rewrite as bin targets: what the "bin" and "directories.bin" of
// its package.json, and of every package.json of a bundled dependency
// (node_modules/**/package.json, whose bins npm links too), name. Reading
// more than npm will link only costs a copy; missing one would let a chmod
// reach the store, which the next read catches as an altered entry.
func binTargets(dir string, files []store.File) map[string]bool {
	out := map[string]bool{}
	for _, f := range files {
		base := path.Base(f.Path)
		pkgDir := path.Dir(f.Path)
		if base != "package.json" || (pkgDir != "." && !strings.Contains("/"+pkgDir, "/node_modules/")) || f.Size > unpack.MaxPackageJSON {
			continue
		}
		if pkgDir == "." {
			pkgDir = ""
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			continue
		}
		var m struct {
			Bin         json.RawMessage `json:"bin"`
			Directories struct {
				Bin any `json:"bin"`
			} `json:"directories"`
		}
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		var targets []string
		var one string
		var many map[string]any
		if json.Unmarshal(m.Bin, &one) == nil {
			targets = append(targets, one)
		} else if json.Unmarshal(m.Bin, &many) == nil {
			for _, v := range many {
				if s, ok := v.(string); ok {
					targets = append(targets, s)
				}
			}
		}
		for _, t := range targets {
			if n := normalizeBin(t); n != "" {
				out[path.Join(pkgDir, n)] = true
			}
		}
		if d, ok := m.Directories.Bin.(string); ok {
			if n := normalizeBin(d); n != "" {
				prefix := path.Join(pkgDir, n) + "/"
				for _, g := range files {
					if strings.HasPrefix(g.Path, prefix) {
						out[g.Path] = true
					}
				}
			}
		}
	}
	return out
}

// finish runs once Fetch returned nil, so the archive matched the
// lockfile: it lays the new entry out in dir and commits it to the store.
func (sx *storeExtract) finish(dir string, archiveSize int64, rep *reporter) error {
	if sx.b == nil {
		return nil // extracted straight into dir
	}
	defer sx.abort()
	if _, err := sx.b.Place(dir, sx.files, sx.place); err != nil {
		// "unpacking", as when extracting straight into dir: to the user
		// this is the same step.
		return fmt.Errorf("unpacking %s@%s: %w", sx.pkg.Name, sx.pkg.Version, err)
	}
	if err := sx.b.Commit(sx.files, archiveSize); err != nil && storeNoteOnce(sx.s, "commit") {
		rep.warn(event{Name: sx.pkg.Name, Version: sx.pkg.Version, Path: sx.pkg.Path,
			Message: fmt.Sprintf("%v\nthe package was installed, but the extracted store could not keep it (later installs inflate its archive again)", err)})
	}
	sx.b = nil
	return nil
}

// abort discards an entry being built.
func (sx *storeExtract) abort() {
	if sx != nil && sx.b != nil {
		sx.b.Abort()
		sx.b = nil
	}
}

// maintainStore runs airlock cache verify (olderThan 0) or gc over the
// store in cache c, if there is one, and returns the line to print ("" when
// there is no store). verify checks the entries of this machine's key and
// leaves other keys' alone; gc removes any entry unused for olderThan.
func maintainStore(ctx context.Context, cfg *config.Config, c *cache.Cache, olderThan time.Duration, report func(store.Action)) (store.Summary, string, error) {
	dir := filepath.Join(c.Dir(), "store")
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return store.Summary{}, "", nil
	}
	keyPath := cfg.StoreKey
	if keyPath == "" {
		keyPath = store.DefaultKeyPath(os.Getenv)
	}
	key, err := store.LoadKey(keyPath, c.Dir())
	if err != nil {
		return store.Summary{}, "", err
	}
	s, err := store.Open(dir, key, store.Link)
	if err != nil {
		return store.Summary{}, "", err
	}
	defer s.Close()
	if olderThan == 0 {
		sum, err := s.VerifyAll(ctx, report)
		line := fmt.Sprintf("verified %d extracted store entries (%s of files) in %s: removed %d entries", sum.Entries, humanBytes(sum.Bytes), dir, sum.Removed)
		if sum.Foreign > 0 {
			line += fmt.Sprintf("; left %d entries made under another store key (another machine or user sharing this cache; cache gc ages them out)", sum.Foreign)
		}
		return sum, line, err
	}
	sum, err := s.GC(ctx, olderThan, report)
	return sum, fmt.Sprintf("kept %d of %d extracted store entries in %s: removed %d unused for that long", sum.Entries-sum.Removed, sum.Entries, dir, sum.Removed), err
}
