package pypi

import (
	"strings"
	"testing"
)

// FuzzParseINI: any pip.conf bytes give a result or an error, never a
// panic, and every value parsed comes from the input.
func FuzzParseINI(f *testing.F) {
	f.Add([]byte("[global]\nindex-url = https://a.example/simple\nextra-index-url =\n  https://b.example/\n"))
	f.Add([]byte("\ufeff[install]\r\nno-index: yes\r\n; c\n# d\n"))
	f.Add([]byte("key = v\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sections, err := parseINI(data)
		if err != nil {
			return
		}
		for _, kv := range sections {
			for k := range kv {
				if k != strings.ToLower(k) {
					t.Fatalf("key %q not lowercased", k)
				}
			}
		}
	})
}

// FuzzParseNetrc: any .netrc text parses without a panic, and a machine's
// credentials are tokens of the input.
func FuzzParseNetrc(f *testing.F) {
	f.Add("machine a login b password c\ndefault login x password y\n")
	f.Add("macdef m\nline\n\nmachine h\nlogin")
	f.Fuzz(func(t *testing.T, text string) {
		entries, _ := parseNetrc(text)
		for _, e := range entries {
			if e.password != "" && !strings.Contains(text, e.password) {
				t.Fatalf("password %q not in the input", e.password)
			}
		}
	})
}
