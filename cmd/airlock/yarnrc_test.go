package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestYarnrcIgnoresScripts follows yarn 1.22's layers for ignore-scripts:
// yarn_* variables, then .yarnrc in the project, home and parent
// directories, the first that sets the key winning; a --ignore-scripts
// flag line counts wherever it is.
func TestYarnrcIgnoresScripts(t *testing.T) {
	root := t.TempDir()
	home := filepath.Join(root, "home")
	project := filepath.Join(root, "work", "app")
	for _, d := range []string{home, project} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(dir, content string) {
		t.Helper()
		p := filepath.Join(dir, ".yarnrc")
		if content == "" {
			os.Remove(p)
			return
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	parent := filepath.Dir(project)
	for _, tc := range []struct {
		name                  string
		project, home, parent string
		env                   []string
		want                  string
	}{
		{name: "nothing set"},
		{name: "project true", project: "ignore-scripts true\n", want: filepath.Join(project, ".yarnrc") + " ignore-scripts true"},
		{name: "quoted", project: "\"ignore-scripts\" \"true\"\n", want: filepath.Join(project, ".yarnrc") + ` "ignore-scripts" "true"`},
		{name: "quoted false", project: "ignore-scripts \"false\"\n"},
		{name: "false", project: "# off\nignore-scripts false\n"},
		{name: "zero", project: "ignore-scripts 0\n"},
		{name: "other text is true", project: "ignore-scripts yes\n", want: filepath.Join(project, ".yarnrc") + " ignore-scripts yes"},
		{name: "nested key is not it", project: "install:\n  ignore-scripts true\n"},
		{name: "home", home: "ignore-scripts true\n", want: filepath.Join(home, ".yarnrc") + " ignore-scripts true"},
		{name: "parent", parent: "ignore-scripts true\n", want: filepath.Join(parent, ".yarnrc") + " ignore-scripts true"},
		{name: "project false outranks parent true", project: "ignore-scripts false\n", parent: "ignore-scripts true\n"},
		{name: "flag line anywhere", project: "ignore-scripts false\n", parent: "--install.ignore-scripts true\n", want: filepath.Join(parent, ".yarnrc") + " --install.ignore-scripts true"},
		{name: "env true", env: []string{"YARN_IGNORE_SCRIPTS=true"}, want: "env YARN_IGNORE_SCRIPTS=true"},
		{name: "env any case", env: []string{"Yarn_Ignore_Scripts=1"}, want: "env Yarn_Ignore_Scripts=1"},
		{name: "env false outranks files", env: []string{"yarn_ignore_scripts=false"}, project: "ignore-scripts true\n"},
		{name: "env empty is false", env: []string{"YARN_IGNORE_SCRIPTS="}, project: "ignore-scripts true\n"},
		{name: "env false, flag line still counts", env: []string{"YARN_IGNORE_SCRIPTS=false"}, project: "--ignore-scripts true\n", want: filepath.Join(project, ".yarnrc") + " --ignore-scripts true"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			write(project, tc.project)
			write(home, tc.home)
			write(parent, tc.parent)
			got, err := yarnrcIgnoresScripts(project, append([]string{"HOME=" + home}, tc.env...))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("yarnrcIgnoresScripts = %q, want %q", got, tc.want)
			}
		})
	}
}
