package advisory

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/internal/safefile"
	"github.com/airlock-dev/airlock/verify"
)

// DBFile is the imported database's file name under the cache's
// advisories directory.
const DBFile = "osv.json"

// dbFormat names the stored layout; a file in another layout is refused
// (re-import) rather than misread.
const dbFormat = "airlock-osv-v1"

// Limits bound an import: an ecosystem export is a zip of many small JSON
// files, and a hostile or damaged one must not exhaust memory or disk.
type Limits struct {
	MaxEntries    int   // files in the zip
	MaxEntryBytes int64 // one record, uncompressed
	MaxTotalBytes int64 // all records, uncompressed
}

// DefaultLimits fit osv.dev's largest ecosystem exports with room to grow
// (npm's all.zip holds a few hundred thousand records, a few GB unpacked
// at most) while refusing zip bombs.
var DefaultLimits = Limits{MaxEntries: 2_000_000, MaxEntryBytes: 8 << 20, MaxTotalBytes: 8 << 30}

// DB is the imported advisory database: entries per ecosystem and
// normalized package name.
type DB struct {
	Format   string    `json:"format"`
	Imported time.Time `json:"imported"`
	// Sources maps each ecosystem to the export it was imported from.
	Sources  map[string]string             `json:"sources"`
	Records  map[string]int                `json:"records"`
	Packages map[string]map[string][]Entry `json:"packages"`
}

// ImportStats says what an import did.
type ImportStats struct {
	Files, Records, Withdrawn, OtherEcosystems int
	Ecosystems                                 []string
}

// Import reads an OSV export zip from r (size bytes). Every entry must be
// a regular .json file within the limits holding a record ParseRecord
// accepts; anything else fails the whole import, naming the entry, because
// a partially imported database would report "no advisories" for what it
// dropped.
func Import(r io.ReaderAt, size int64, source string, lim Limits) (*DB, ImportStats, error) {
	var st ImportStats
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, st, fmt.Errorf("%s is not a zip archive (an OSV ecosystem export such as https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip): %w", source, err)
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, st, fmt.Errorf("%s: %d entries, more than the limit of %d", source, len(zr.File), lim.MaxEntries)
	}
	db := &DB{Format: dbFormat, Imported: time.Now().UTC(), Sources: map[string]string{}, Records: map[string]int{}, Packages: map[string]map[string][]Entry{}}
	seen := map[string]bool{}
	var total int64
	for _, f := range zr.File {
		name := f.Name
		if strings.HasSuffix(name, "/") && f.UncompressedSize64 == 0 {
			continue // a directory entry
		}
		if !f.Mode().IsRegular() {
			return nil, st, fmt.Errorf("%s: entry %q is not a regular file", source, name)
		}
		if f.Flags&0x1 != 0 {
			return nil, st, fmt.Errorf("%s: entry %q is encrypted", source, name)
		}
		if path.Ext(name) != ".json" || strings.Contains(name, "..") || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") {
			return nil, st, fmt.Errorf("%s: entry %q is not an OSV record file (NAME.json)", source, name)
		}
		if seen[name] {
			return nil, st, fmt.Errorf("%s: entry %q appears twice", source, name)
		}
		seen[name] = true
		if f.UncompressedSize64 > uint64(lim.MaxEntryBytes) {
			return nil, st, fmt.Errorf("%s: entry %q is %d bytes unpacked, over the %d-byte limit for one record", source, name, f.UncompressedSize64, lim.MaxEntryBytes)
		}
		data, err := readEntry(f, lim.MaxEntryBytes)
		if err != nil {
			return nil, st, fmt.Errorf("%s: entry %q: %w", source, name, err)
		}
		total += int64(len(data))
		if total > lim.MaxTotalBytes {
			return nil, st, fmt.Errorf("%s: more than %d bytes unpacked in total; refusing (a zip bomb, or not an OSV export)", source, lim.MaxTotalBytes)
		}
		st.Files++
		rec, err := ParseRecord(data)
		if err != nil {
			return nil, st, fmt.Errorf("%s: entry %q: %w", source, name, err)
		}
		if rec.Withdrawn != "" {
			st.Withdrawn++
			continue
		}
		entries, err := entriesOf(rec)
		if err != nil {
			return nil, st, fmt.Errorf("%s: entry %q: %w", source, name, err)
		}
		if len(entries) == 0 {
			st.OtherEcosystems++
			continue
		}
		st.Records++
		for key, e := range entries {
			eco, pkg := key[0], key[1]
			if db.Packages[eco] == nil {
				db.Packages[eco] = map[string][]Entry{}
				db.Sources[eco] = source
			}
			db.Packages[eco][pkg] = append(db.Packages[eco][pkg], e)
			db.Records[eco]++
		}
	}
	if st.Files == 0 {
		return nil, st, fmt.Errorf("%s holds no OSV records", source)
	}
	for eco := range db.Packages {
		st.Ecosystems = append(st.Ecosystems, eco)
	}
	sort.Strings(st.Ecosystems)
	return db, st, nil
}

// readEntry reads one zip entry, at most max bytes; archive/zip checks
// the CRC and the declared size when the entry is read to its end.
func readEntry(f *zip.File, max int64) ([]byte, error) {
	switch f.Method {
	case zip.Store, zip.Deflate:
	default:
		return nil, fmt.Errorf("compression method %d is not supported", f.Method)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("more than %d bytes unpacked (the zip under-declared its size)", max)
	}
	return data, nil
}

// Merge adds other's ecosystems to db, replacing those db already had:
// importing the PyPI export keeps the npm one.
func (db *DB) Merge(other *DB) {
	for eco, pkgs := range other.Packages {
		db.Packages[eco] = pkgs
		db.Sources[eco] = other.Sources[eco]
		db.Records[eco] = other.Records[eco]
	}
	db.Imported = other.Imported
}

// Save writes the database to dir/osv.json atomically.
func (db *DB) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data, err := json.Marshal(db)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".airlock-tmp-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(f.Name(), filepath.Join(dir, DBFile))
	}
	if werr != nil {
		os.Remove(f.Name())
	}
	return werr
}

// maxDBBytes caps the stored database read back.
const maxDBBytes = 2 << 30

// ErrNoDB is returned by Load when nothing was imported.
var ErrNoDB = errors.New("no advisory database has been imported")

// Load reads dir/osv.json.
func Load(dir string) (*DB, error) {
	p := filepath.Join(dir, DBFile)
	data, err := safefile.Read(p, maxDBBytes)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoDB
	}
	if err != nil {
		return nil, fmt.Errorf("advisory database: %w", err)
	}
	var db DB
	if err := json.Unmarshal(data, &db); err != nil || db.Format != dbFormat {
		return nil, fmt.Errorf("advisory database %s is damaged or from another airlock version; run `airlock db update --from FILE|URL` again", p)
	}
	if db.Packages == nil {
		db.Packages = map[string]map[string][]Entry{}
	}
	return &db, nil
}

// Has reports whether the database holds ecosystem.
func (db *DB) Has(ecosystem string) bool { _, ok := db.Packages[ecosystem]; return ok }

// Lookup returns the advisories affecting name@version.
func (db *DB) Lookup(ecosystem, name, version string) []verify.Advisory {
	var out []verify.Advisory
	for _, e := range db.Packages[ecosystem][NormalizeName(ecosystem, name)] {
		ok, why := e.Affects(ecosystem, version)
		if !ok {
			continue
		}
		out = append(out, verify.Advisory{ID: e.ID, Aliases: e.Aliases, Summary: e.Summary, Severity: e.Severity,
			SeverityFrom: e.SeverityFrom, Malware: e.Malware, URL: e.URL, Matched: why, Fixed: e.Fixed(),
			Source: fmt.Sprintf("OSV database imported %s from %s", db.Imported.Format("2006-01-02"), db.Sources[ecosystem])})
	}
	return out
}
