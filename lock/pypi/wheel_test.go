package pypi

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// stricterThanPackaging lists filenames packaging 24.1 parses that
// ParseWheelFilename refuses on purpose: an empty project name, an empty
// tag part, a non-ASCII name (no index serves one).
var stricterThanPackaging = map[string]bool{
	"-1.0-py3-none-any.whl":         true,
	"foo-1.0-py3-none-.whl":         true,
	"f\u00f6o-1.0-py3-none-any.whl": true,
}

func TestWheelFilenamesMatchPackaging(t *testing.T) {
	data, err := os.ReadFile("testdata/pep/pep427.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Wheels []struct {
			Filename string   `json:"filename"`
			Error    string   `json:"error"`
			Name     string   `json:"name"`
			Version  string   `json:"version"`
			Build    []any    `json:"build"`
			Tags     []string `json:"tags"`
		} `json:"wheels"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	for _, c := range f.Wheels {
		w, err := ParseWheelFilename(c.Filename)
		if c.Error != "" || stricterThanPackaging[c.Filename] {
			if !errors.Is(err, ErrBadWheelName) {
				t.Errorf("%q: err = %v, want ErrBadWheelName", c.Filename, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.Filename, err)
			continue
		}
		v, _ := ParseVersion(w.Version)
		build := ""
		if len(c.Build) == 2 {
			build = fmt.Sprintf("%v%v", c.Build[0], c.Build[1])
		}
		var tags []string
		for _, tg := range w.Tags {
			tags = append(tags, tg.String())
		}
		slices.Sort(tags)
		if NormalizeName(w.Name) != c.Name || v.String() != c.Version || w.Build != build || !slices.Equal(tags, c.Tags) {
			t.Errorf("%q: %s %s %q %v; packaging %s %s %q %v", c.Filename, NormalizeName(w.Name), v, w.Build, tags, c.Name, c.Version, build, c.Tags)
		}
	}
}

func wheel(fn string) Artifact {
	return Artifact{Filename: fn, URL: "https://files.example/" + fn, Hashes: []Hash{{Algo: "sha256", Hex: strings.Repeat("a", 64)}}}
}

func cp311Env() Environment {
	env := linuxEnv()
	env.Tags = SysTags(TagFacts{
		Implementation: "cp", PythonVersion: [2]int{3, 11}, ABIs: []string{"cp311"},
		Platforms: LinuxPlatforms("linux-x86_64", false, true, [2]int{2, 36}, [2]int{}),
	})
	return env
}

func TestSelectWheel(t *testing.T) {
	env := cp311Env()
	for _, c := range []struct {
		name       string
		candidates []string
		want       string
	}{
		{"most specific wins", []string{
			"numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
			"numpy-1.26.4-cp311-cp311-musllinux_1_1_x86_64.whl",
			"numpy-1.26.4-cp311-cp311-win_amd64.whl",
			"numpy-1.26.4.tar.gz",
			"numpy-1.26.4-cp311-cp311-manylinux_2_28_x86_64.whl",
			"numpy-1.26.4-py3-none-any.whl",
		}, "numpy-1.26.4-cp311-cp311-manylinux_2_28_x86_64.whl"},
		{"abi3 before none", []string{"cryptography-42.0.5-pp310-pypy310_pp73-manylinux_2_28_x86_64.whl", "cryptography-42.0.5-py3-none-any.whl", "cryptography-42.0.5-cp39-abi3-manylinux_2_28_x86_64.whl"},
			"cryptography-42.0.5-cp39-abi3-manylinux_2_28_x86_64.whl"},
		{"pure python", []string{"six-1.16.0-py2.py3-none-any.whl"}, "six-1.16.0-py2.py3-none-any.whl"},
		{"build tag breaks ties", []string{"foo-1.0-1-py3-none-any.whl", "foo-1.0-10-py3-none-any.whl", "foo-1.0-2-py3-none-any.whl", "foo-1.0-py3-none-any.whl"},
			"foo-1.0-10-py3-none-any.whl"},
		{"then filename", []string{"foo-1.0-py3-none-any.whl", "foo-1.0-py2.py3-none-any.whl"}, "foo-1.0-py2.py3-none-any.whl"},
		{"other project skipped", []string{"bar-1.0-cp311-cp311-linux_x86_64.whl", "Foo-1.0-py3-none-any.whl"}, "Foo-1.0-py3-none-any.whl"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var cands []Artifact
			for _, fn := range c.candidates {
				cands = append(cands, wheel(fn))
			}
			name := strings.SplitN(c.want, "-", 2)[0]
			got, err := SelectWheel(name, cands, env)
			if err != nil {
				t.Fatal(err)
			}
			if got.Filename != c.want {
				t.Errorf("got %s, want %s", got.Filename, c.want)
			}
		})
	}
}

func TestSelectWheelErrors(t *testing.T) {
	env := cp311Env()
	_, err := SelectWheel("numpy", []Artifact{
		wheel("numpy-1.26.4-cp311-cp311-win_amd64.whl"),
		wheel("numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.whl"),
		wheel("numpy-1.26.4.tar.gz"),
	}, env)
	if !errors.Is(err, ErrNoCompatibleWheel) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"cp311-cp311-win_amd64", "cp312-cp312-manylinux_2_17_x86_64", "cp311-cp311-manylinux_2_36_x86_64", "numpy-1.26.4.tar.gz", "run its code"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q: %v", want, err)
		}
	}
	_, err = SelectWheel("x", nil, env)
	if !errors.Is(err, ErrNoCompatibleWheel) || !strings.Contains(err.Error(), "no wheel") {
		t.Errorf("empty: %v", err)
	}
}

func TestIntegrity(t *testing.T) {
	hs := []Hash{
		{Algo: "sha256", Hex: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{Algo: "md5", Hex: "d41d8cd98f00b204e9800998ecf8427e"},
		{Algo: "sha256", Hex: "zz"},
	}
	if got := Integrity(hs); got != "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" {
		t.Errorf("Integrity = %q", got)
	}
	if Integrity(nil) != "" {
		t.Error("empty hashes gave an integrity")
	}
}

func TestNormalizeName(t *testing.T) {
	for in, want := range map[string]string{"Foo.Bar": "foo-bar", "foo__bar": "foo-bar", "FOO-._-bar": "foo-bar", "zope.interface": "zope-interface"} {
		if got := NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q", in, got)
		}
	}
}
