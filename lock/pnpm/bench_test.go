package pnpm

import (
	"os"
	"path/filepath"
	"testing"
)

func BenchmarkParseLarge(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pnpm", "large", "pnpm-lock.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
