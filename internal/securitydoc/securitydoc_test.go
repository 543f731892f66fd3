package securitydoc

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A table cell names a Go test as "TestName (pkg/path)" (also FuzzName or
// "TestName/subtest (pkg)") or an end-to-end script as "name.txtar".
var (
	goTestRef = regexp.MustCompile(`\b((?:Test|Fuzz)[A-Za-z0-9_]+)(?:/[^ ()]+)? \(([a-z0-9_./-]+)\)`)
	scriptRef = regexp.MustCompile(`\b([a-z0-9_]+\.txtar)\b`)
)

const scriptDir = "cmd/airlock/testdata/script"

func TestEveryRowNamesAnExistingTest(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs", "security.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for i, line := range strings.Split(string(doc), "\n") {
		if !isTableRow(line) {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), "|")
		last := cells[len(cells)-1]
		gos := goTestRef.FindAllStringSubmatch(last, -1)
		scripts := scriptRef.FindAllStringSubmatch(last, -1)
		if len(gos) == 0 && len(scripts) == 0 {
			t.Errorf("docs/security.md:%d: the last cell names no test: %s", i+1, line)
			continue
		}
		rows++
		for _, m := range gos {
			if !goTestExists(t, root, m[2], m[1]) {
				t.Errorf("docs/security.md:%d: no func %s in package %s", i+1, m[1], m[2])
			}
		}
		for _, m := range scripts {
			if _, err := os.Stat(filepath.Join(root, scriptDir, m[1])); err != nil {
				t.Errorf("docs/security.md:%d: no script %s in %s", i+1, m[1], scriptDir)
			}
		}
	}
	if rows == 0 {
		t.Fatal("docs/security.md has no table rows naming tests")
	}
}

// isTableRow is true for a markdown table body row: not the header (whose
// last cell is "test") and not the |---| separator.
func isTableRow(line string) bool {
	if !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "|---") || strings.HasPrefix(line, "| ---") {
		return false
	}
	cells := strings.Split(strings.Trim(line, "| "), "|")
	return strings.TrimSpace(cells[len(cells)-1]) != "test"
}

func goTestExists(t *testing.T, root, pkg, name string) bool {
	files, err := filepath.Glob(filepath.Join(root, pkg, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	decl := regexp.MustCompile(`(?m)^func ` + regexp.QuoteMeta(name) + `\(`)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if decl.Match(src) {
			return true
		}
	}
	return false
}
