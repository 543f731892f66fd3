package unpack

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCorpusAgainstNpm runs the corpus through npm's own extractor (pacote,
// from the npm installed here) and checks that every archive airlock accepts
// npm accepts too, with the same files, contents and modes. Archives airlock
// refuses are logged with what npm does with them. No network is used.
func TestCorpusAgainstNpm(t *testing.T) {
	pacote := findPacote(t)
	if testing.Short() {
		t.Skip("runs node")
	}
	umask := ProcessUmask()
	work := t.TempDir()
	type job struct {
		Tgz   string `json:"tgz"`
		Dest  string `json:"dest"`
		Cache string `json:"cache"`
	}
	cases := corpus()
	jobs := make([]job, len(cases))
	data := make([][]byte, len(cases))
	for i, c := range cases {
		data[i] = c.bytes(t)
		jobs[i] = job{
			Tgz:   filepath.Join(work, strconv.Itoa(i)+".tgz"),
			Dest:  filepath.Join(work, "npm", strconv.Itoa(i)),
			Cache: filepath.Join(work, "cache"),
		}
		if err := os.WriteFile(jobs[i].Tgz, data[i], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	jobsJSON, _ := json.Marshal(jobs)
	jobsFile := filepath.Join(work, "jobs.json")
	if err := os.WriteFile(jobsFile, jobsJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	script, _ := filepath.Abs("testdata/oracle/pacote-extract.js")
	cmd := exec.Command("node", script, pacote, jobsFile)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.Bytes())
	}
	var results []struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(out, &results); err != nil || len(results) != len(cases) {
		t.Fatalf("node output: %v: %s", err, out)
	}

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			npm := results[i]
			s := newSandbox(t)
			// npm runs with the process umask, so ours does too here,
			// whatever umask the case was written for.
			opts := c.opts
			opts.Umask = umask
			_, err := NpmTarball(bytes.NewReader(data[i]), s.dir, opts)
			switch {
			case err != nil && npm.OK:
				npmTree := treeLines(t, jobs[i].Dest)
				if len(npmTree) > 8 {
					npmTree = append(npmTree[:8], "...")
				}
				t.Logf("refused (%v); npm accepts it and writes:\n%s", err, strings.Join(npmTree, "\n"))
			case err != nil:
				t.Logf("refused (%v); npm refuses too: %s", err, npm.Error)
			case !npm.OK:
				t.Errorf("accepted, but npm refuses it: %s", npm.Error)
			default:
				ours, theirs := treeLines(t, s.dir), treeLines(t, jobs[i].Dest)
				if strings.Join(ours, "\n") != strings.Join(theirs, "\n") {
					t.Errorf("tree differs from npm's:\n%s\nnpm:\n%s", strings.Join(ours, "\n"), strings.Join(theirs, "\n"))
				}
			}
		})
	}
}

// findPacote returns the directory of the pacote module bundled with the npm
// on PATH, or skips the test.
func findPacote(t *testing.T) string {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm not installed")
	}
	// npm is a link to <npm package>/bin/npm-cli.js.
	cli, err := filepath.EvalSymlinks(npm)
	if err != nil {
		t.Skip(err)
	}
	dir := filepath.Join(filepath.Dir(filepath.Dir(cli)), "node_modules", "pacote")
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
		t.Skipf("npm's pacote not found: %v", err)
	}
	return dir
}
