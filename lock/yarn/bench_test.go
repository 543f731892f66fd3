package yarn

import "testing"

func BenchmarkParse(b *testing.B) {
	data := realLock(b, "basic")
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
