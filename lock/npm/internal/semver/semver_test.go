package semver

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"
)

// TestNodeSemverVectors replays node-semver's own answers (testdata/README.md
// says how they were made) for satisfies, parse and validRange.
func TestNodeSemverVectors(t *testing.T) {
	f, err := os.Open("testdata/vectors.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	opts := []Options{{}, {Loose: true}, {IncludePrerelease: true}, {Loose: true, IncludePrerelease: true}}
	counts := map[string]int{}
	for line := 1; sc.Scan(); line++ {
		var rec []string
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil || len(rec) != 4 {
			t.Fatalf("vectors.jsonl:%d: bad record %q", line, sc.Text())
		}
		counts[rec[0]]++
		switch rec[0] {
		case "S":
			rng, v, want := rec[1], rec[2], rec[3]
			for i, o := range opts {
				if got := Satisfies(v, rng, o); got != (want[i] == 'T') {
					t.Errorf("vectors.jsonl:%d: Satisfies(%q, %q, %+v) = %v, node-semver says %c", line, v, rng, o, got, want[i])
				}
			}
		case "P":
			v, loose, want := rec[1], rec[2] == "loose", rec[3]
			got := "-"
			if p, err := Parse(v, loose); err == nil {
				got = p.String()
			}
			if got != want {
				t.Errorf("vectors.jsonl:%d: Parse(%q, loose=%v) = %q, node-semver says %q", line, v, loose, got, want)
			}
		case "R":
			rng, loose, want := rec[1], rec[2] == "loose", rec[3] == "T"
			_, err := ParseRange(rng, Options{Loose: loose})
			if got := err == nil; got != want {
				t.Errorf("vectors.jsonl:%d: ParseRange(%q, loose=%v) valid = %v, node-semver says %v (err %v)", line, rng, loose, got, want, err)
			}
		default:
			t.Fatalf("vectors.jsonl:%d: unknown record kind %q", line, rec[0])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	// Guard against an empty or truncated vector file passing silently.
	if counts["S"] < 5000 || counts["P"] < 300 || counts["R"] < 400 {
		t.Fatalf("too few vectors: %v", counts)
	}
}

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.2.3", "1.2.3", 0},
		{"1.2.3", "1.2.4", -1},
		{"2.0.0", "1.99.99", 1},
		{"1.0.0-alpha", "1.0.0", -1},
		{"1.0.0-alpha", "1.0.0-alpha.1", -1},
		{"1.0.0-alpha.1", "1.0.0-alpha.beta", -1},
		{"1.0.0-beta.2", "1.0.0-beta.11", -1},
		{"1.0.0-rc.1", "1.0.0-beta.11", 1},
		{"1.2.3+build.1", "1.2.3+build.2", 0},
	} {
		a, err := Parse(tc.a, false)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Parse(tc.b, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.Compare(b); got != tc.want {
			t.Errorf("Compare(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := b.Compare(a); got != -tc.want {
			t.Errorf("Compare(%s, %s) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}

func FuzzSatisfies(f *testing.F) {
	for _, s := range []string{"^1.2.3", ">= 8 <9 || 10.x", "1.2.3 - 2", "~> 1", "*", "<0.0.0-0"} {
		f.Add(s, "1.2.3-beta.1", true, false)
	}
	f.Fuzz(func(t *testing.T, rng, v string, loose, pre bool) {
		Satisfies(v, rng, Options{Loose: loose, IncludePrerelease: pre})
	})
}

func BenchmarkSatisfiesEngines(b *testing.B) {
	o := Options{IncludePrerelease: true}
	for i := 0; i < b.N; i++ {
		Satisfies("20.20.2", "^12.20.0 || ^14.13.1 || >=16.0.0", o)
	}
}

func BenchmarkParseRangeUncached(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := parseRange("^12.20.0 || ^14.13.1 || >=16.0.0", Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
