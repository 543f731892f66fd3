package tree

import "fmt"

// Change says how one path differs between an expected and an actual tree.
type Change string

const (
	Added       Change = "added"        // only in the actual tree
	Removed     Change = "removed"      // only in the expected tree
	Modified    Change = "modified"     // same kind, different contents or link target
	ModeChanged Change = "mode changed" // same contents, execute bit differs
	TypeChanged Change = "type changed" // e.g. a file where a symlink was expected
)

// Difference is one path that differs. Want and Got are nil for Added and
// Removed respectively.
type Difference struct {
	Path   string
	Change Change
	Want   *Entry
	Got    *Entry
}

func (d Difference) String() string {
	switch d.Change {
	case ModeChanged:
		return fmt.Sprintf("%s: mode changed (%s, expected %s)", d.Path, d.Got.Kind, d.Want.Kind)
	case TypeChanged:
		return fmt.Sprintf("%s: type changed (%s, expected %s)", d.Path, d.Got.Kind, d.Want.Kind)
	case Modified:
		if d.Want.Kind == Symlink {
			return fmt.Sprintf("%s: modified (links to %q, expected %q)", d.Path, d.Got.Target, d.Want.Target)
		}
		return fmt.Sprintf("%s: modified (%d bytes, sha256 %x; expected %d bytes, sha256 %x)", d.Path, d.Got.Size, d.Got.Sum[:8], d.Want.Size, d.Want.Sum[:8])
	}
	return fmt.Sprintf("%s: %s", d.Path, d.Change)
}

// Compare lists every path where got differs from want, in path order.
// Beneath a directory that was added or removed every entry is listed too,
// so a report names each file.
func Compare(want, got *Manifest) []Difference {
	var diffs []Difference
	w, g := want.Entries, got.Entries
	for len(w) > 0 || len(g) > 0 {
		switch {
		case len(g) == 0 || (len(w) > 0 && w[0].Path < g[0].Path):
			diffs = append(diffs, Difference{Path: w[0].Path, Change: Removed, Want: &w[0]})
			w = w[1:]
		case len(w) == 0 || g[0].Path < w[0].Path:
			diffs = append(diffs, Difference{Path: g[0].Path, Change: Added, Got: &g[0]})
			g = g[1:]
		default:
			if c, ok := compareEntry(&w[0], &g[0]); ok {
				diffs = append(diffs, Difference{Path: w[0].Path, Change: c, Want: &w[0], Got: &g[0]})
			}
			w, g = w[1:], g[1:]
		}
	}
	return diffs
}

func compareEntry(want, got *Entry) (Change, bool) {
	isFile := func(k Kind) bool { return k == File || k == Exec }
	switch {
	case want.Kind == got.Kind:
		if want.Sum != got.Sum {
			return Modified, true
		}
		return "", false
	case isFile(want.Kind) && isFile(got.Kind):
		if want.Sum != got.Sum {
			return Modified, true
		}
		return ModeChanged, true
	}
	return TypeChanged, true
}
