package install

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestFixBin(t *testing.T) {
	upper := func(b []byte) []byte { return bytes.ToUpper(b) }
	for _, c := range []struct {
		name, in string
		decode   func([]byte) []byte
		want     string
	}{
		{"crlf hashbang", "#!/usr/bin/env node\r\nrun()\r\n", nil, "#!/usr/bin/env node\nrun()\r\n"},
		{"crlf hashbang, decoded", "#!/usr/bin/env node\r\nrun()\n", upper, "#!/USR/BIN/ENV NODE\nRUN()\n"},
		{"unix hashbang", "#!/usr/bin/env node\nrun()\r\n", upper, "#!/usr/bin/env node\nrun()\r\n"},
		{"no hashbang", "run()\r\n", nil, "run()\r\n"},
		{"empty hashbang line", "#!\r\n", nil, "#!\r\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "cli.js"), []byte(c.in), 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := os.OpenRoot(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if err := FixBin(r, "cli.js", 0o751, c.decode); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(filepath.Join(dir, "cli.js"))
			if string(got) != c.want {
				t.Errorf("content = %q, want %q", got, c.want)
			}
			if st, _ := os.Stat(filepath.Join(dir, "cli.js")); st.Mode().Perm() != 0o751 {
				t.Errorf("mode = %v", st.Mode())
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("debris left: %v", entries)
			}
		})
	}
}
