package pypi

import (
	"os"
	"testing"
)

func BenchmarkParsePylockH11(b *testing.B) {
	data, err := os.ReadFile("testdata/pylock/h11.pylock.toml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := ParsePylock(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseUVLockClick(b *testing.B) {
	data, err := os.ReadFile("testdata/uvlock/click.uv.lock")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		lk, err := ParseUVLock(data, UVOptions{AllGroups: true})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := lk.Select(py312Env()); err != nil {
			b.Fatal(err)
		}
	}
}
