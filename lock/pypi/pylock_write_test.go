package pypi

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestWritePylockRoundTrip(t *testing.T) {
	sha := strings.Repeat("ab", 32)
	lk := &Lock{
		RequiresPython: ">=3.9",
		Environments:   []string{`sys_platform == "linux" and python_version == "3.11"`},
		Dists: []Dist{
			{Name: "Zeta_Pkg", Version: "2.0", RequiresPython: ">=3.8", Index: "https://idx.example/simple/",
				Wheels: []Artifact{{Filename: "zeta_pkg-2.0-py3-none-any.whl", URL: "https://files.example/zeta_pkg-2.0-py3-none-any.whl",
					Hashes: []Hash{{Algo: "sha256", Hex: sha}}, Size: 1234, UploadTime: "2024-05-01T10:20:30.123456Z"}}},
			{Name: "alpha", Version: "1.0", Index: "https://idx.example/simple/",
				Wheels: []Artifact{{Filename: "alpha-1.0-py3-none-any.whl", URL: "https://files.example/a\"b/alpha-1.0-py3-none-any.whl",
					Hashes: []Hash{{Algo: "sha256", Hex: sha}}}}},
		},
	}
	data, err := WritePylock(lk, "airlock")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "lock-version = \"1.0\"\n") || strings.Index(string(data), "alpha") > strings.Index(string(data), "zeta") {
		t.Errorf("unexpected layout:\n%s", data)
	}
	if !strings.Contains(string(data), "upload-time = 2024-05-01T10:20:30.123456Z\n") {
		t.Errorf("upload-time is not a TOML date-time:\n%s", data)
	}
	back, err := ParsePylock(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if back.RequiresPython != lk.RequiresPython || !reflect.DeepEqual(back.Environments, lk.Environments) || len(back.Dists) != 2 {
		t.Fatalf("read back %+v", back)
	}
	a, z := back.Dists[0], back.Dists[1]
	if a.Name != "alpha" || z.Name != "zeta-pkg" || z.Version != "2.0" || z.RequiresPython != ">=3.8" || z.Index != "https://idx.example/simple/" {
		t.Errorf("dists read back: %+v / %+v", a, z)
	}
	w := z.Wheels[0]
	if w.Filename != "zeta_pkg-2.0-py3-none-any.whl" || w.Size != 1234 || w.UploadTime != "2024-05-01T10:20:30Z" || !reflect.DeepEqual(w.Hashes, lk.Dists[0].Wheels[0].Hashes) {
		t.Errorf("wheel read back: %+v", w)
	}
	if a.Wheels[0].URL != "https://files.example/a\"b/alpha-1.0-py3-none-any.whl" {
		t.Errorf("quoted URL read back as %q", a.Wheels[0].URL)
	}
}

func TestWritePylockRefusals(t *testing.T) {
	sha := strings.Repeat("ab", 32)
	good := Artifact{Filename: "a-1.0-py3-none-any.whl", URL: "https://f.example/a-1.0-py3-none-any.whl", Hashes: []Hash{{Algo: "sha256", Hex: sha}}}
	cases := map[string]struct {
		d    Dist
		want error
	}{
		"no wheels":       {Dist{Name: "a", Version: "1.0"}, ErrInvalidEntry},
		"no hash":         {Dist{Name: "a", Version: "1.0", Wheels: []Artifact{{Filename: good.Filename, URL: good.URL}}}, ErrNoHash},
		"other project":   {Dist{Name: "b", Version: "1.0", Wheels: []Artifact{good}}, ErrInvalidEntry},
		"credentials":     {Dist{Name: "a", Version: "1.0", Wheels: []Artifact{{Filename: good.Filename, URL: "https://u:p@f.example/x.whl", Hashes: good.Hashes}}}, ErrInvalidEntry},
		"bad version":     {Dist{Name: "a", Version: "one", Wheels: []Artifact{good}}, ErrInvalidEntry},
		"bad upload time": {Dist{Name: "a", Version: "1.0", Wheels: []Artifact{{Filename: good.Filename, URL: good.URL, Hashes: good.Hashes, UploadTime: "yesterday"}}}, ErrInvalidEntry},
	}
	for name, tc := range cases {
		if _, err := WritePylock(&Lock{Dists: []Dist{tc.d}}, "airlock"); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.want)
		}
	}
}
