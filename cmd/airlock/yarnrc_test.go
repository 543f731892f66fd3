package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	lockyarn "github.com/airlock-dev/airlock/lock/yarn"
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

// TestCheckYarnClassicLayout: the yarn 1 settings under which yarn lays
// out something else than airlock are refused, naming where they are set;
// the same settings turned the other way, or without anything they would
// change, pass.
func TestCheckYarnClassicLayout(t *testing.T) {
	root := t.TempDir()
	home := filepath.Join(root, "home")
	project := filepath.Join(root, "work", "app")
	for _, d := range []string{home, project} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ws := &lockyarn.Manifest{Name: "ws", Nohoist: []string{"**/react-native"}}
	plain := &lockyarn.Manifest{Name: "app"}
	withWS := &lockyarn.Manifest{Name: "app", Workspaces: []string{"packages/*"}}
	for _, tc := range []struct {
		name       string
		yarnrc     string // the project's .yarnrc
		homeYarnrc string
		env        []string
		pkgJSON    string
		root       *lockyarn.Manifest
		workspaces []*lockyarn.Manifest
		want       string // in the error; "" for none
	}{
		{name: "nothing set", root: withWS, workspaces: []*lockyarn.Manifest{ws}},
		{name: "installConfig.pnp", pkgJSON: `{"installConfig": {"pnp": true}}`, root: plain, want: "package.json installConfig.pnp"},
		{name: "installConfig.pnp false", pkgJSON: `{"installConfig": {"pnp": false}}`, root: plain},
		{name: "plugnplay-override in home .yarnrc", homeYarnrc: "plugnplay-override true\n", root: plain, want: "home/.yarnrc plugnplay-override true"},
		{name: "plugnplay-override false over installConfig", yarnrc: "plugnplay-override false\n", pkgJSON: `{"installConfig": {"pnp": true}}`, root: plain},
		{name: "env plugnplay override", env: []string{"YARN_PLUGNPLAY_OVERRIDE=1"}, root: plain, want: "env YARN_PLUGNPLAY_OVERRIDE"},
		{name: "workspaces off", yarnrc: "workspaces-experimental false\n", root: withWS, want: "turns yarn's workspaces off"},
		{name: "workspaces off, none declared", yarnrc: "workspaces-experimental false\n", root: plain},
		{name: "nohoist off with nohoist", yarnrc: `workspaces-nohoist-experimental "false"` + "\n", root: withWS, workspaces: []*lockyarn.Manifest{ws}, want: "turns off yarn's workspaces.nohoist"},
		{name: "nohoist off without nohoist", yarnrc: "workspaces-nohoist-experimental false\n", root: withWS, workspaces: []*lockyarn.Manifest{{Name: "ws"}}},
		{name: "nohoist on", yarnrc: "workspaces-nohoist-experimental true\n", root: withWS, workspaces: []*lockyarn.Manifest{ws}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for dir, content := range map[string]string{project: tc.yarnrc, home: tc.homeYarnrc} {
				p := filepath.Join(dir, ".yarnrc")
				os.Remove(p)
				if content != "" {
					if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			pkg := tc.pkgJSON
			if pkg == "" {
				pkg = "{}"
			}
			err := checkYarnClassicLayout(project, append([]string{"HOME=" + home}, tc.env...), []byte(pkg), tc.root, tc.workspaces)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("err = %v, want one naming %q", err, tc.want)
			}
		})
	}
}
