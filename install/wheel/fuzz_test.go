package wheel

import (
	"reflect"
	"strings"
	"testing"
)

// FuzzParseRecord: any input either is refused or reads back, after
// formatting the way pip writes RECORD, as the same rows.
func FuzzParseRecord(f *testing.F) {
	for _, s := range []string{
		"a.py,sha256=x,1\r\nb/RECORD,,\r\n", `"with,comma",h,1`, `"q""uote",h,2`, "a,b,c\rd", "\u2028,,", `"a"x,b,c`, "a,b,c\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := parseRecord(data)
		if err != nil {
			return
		}
		back, err := parseRecord(formatRecord(rows))
		if err != nil {
			t.Fatalf("formatted RECORD of %q does not parse: %v", data, err)
		}
		strip := func(rs []recordRow) map[[3]string]int {
			m := map[[3]string]int{}
			for _, r := range rs {
				m[[3]string{r.Path, r.Hash, r.Size}]++
			}
			return m
		}
		if !reflect.DeepEqual(strip(rows), strip(back)) {
			t.Fatalf("%q: rows %v read back as %v", data, rows, back)
		}
	})
}

// FuzzParseEntryPoints: no input panics, and every accepted script name is
// a plain file name.
func FuzzParseEntryPoints(f *testing.F) {
	f.Add([]byte("[console_scripts]\na = m:f\n[gui_scripts]\nb = m.n:o [x]\n"))
	f.Add([]byte("[console_scripts]\n../x = m:f\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		eps, err := parseEntryPoints(data)
		if err != nil {
			return
		}
		for _, l := range [][]entryPoint{eps.console, eps.gui} {
			for _, ep := range l {
				if ep.name == "" || ep.name == "." || ep.name == ".." || strings.ContainsAny(ep.name, "/\\\x00") {
					t.Fatalf("accepted script name %q", ep.name)
				}
				_ = scriptText("/p", ep)
			}
		}
	})
}
