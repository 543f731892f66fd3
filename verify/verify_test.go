package verify

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// Published digests of testdata/is-number-7.0.0.tgz (see testdata/README.md).
const (
	isNumberSRI    = "sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng=="
	isNumberShasum = "7535345b896734d5f80c4d06c50955527a14f12b"
)

// FIPS 180-2 appendix C test vectors for the message "abc".
const (
	abcSHA1   = "a9993e364706816aba3e25717850c26c9cd0d89d"
	abcSHA512 = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
)

// sri returns the SRI string of data under algo, computed with the standard
// library directly so that the tests do not check the code against itself.
func sri(algo string, data []byte) string {
	var sum []byte
	switch algo {
	case "sha1":
		s := sha1.Sum(data)
		sum = s[:]
	case "sha256":
		s := sha256.Sum256(data)
		sum = s[:]
	case "sha384":
		s := sha512.Sum384(data)
		sum = s[:]
	case "sha512":
		s := sha512.Sum512(data)
		sum = s[:]
	}
	return algo + "-" + base64.StdEncoding.EncodeToString(sum)
}

func TestParseSRI(t *testing.T) {
	// ssri's tests hash their own source file; any fixed bytes do.
	data := []byte("ssri test data\n")
	s512, s384, s256, s1 := sri("sha512", data), sri("sha384", data), sri("sha256", data), sri("sha1", data)
	other512 := sri("sha512", []byte("other"))

	tests := []struct {
		name      string
		in        string
		strongest string // SRI of the Strongest digest
		all       string // String() of the whole Integrity
		weak      bool
	}{
		{"single", s512, s512, s512, false},
		{"real npm integrity", isNumberSRI, isNumberSRI, isNumberSRI, false},
		// ssri "parses options from integrity string": options are dropped.
		{"options", s512 + "?one?two?three", s512, s512, false},
		// ssri "trims whitespace from either end".
		{"surrounding whitespace", "      " + s512 + "    ", s512, s512, false},
		// ssri "parses any whitespace as entry separators".
		{"any whitespace", "\t" + s512 + " \n\r" + s384 + "\n         \t  \t\t " + s256, s512, s512 + " " + s384 + " " + s256, false},
		// ssri "picks the strongest available algorithm, by default".
		{"strongest of sha1 sha384 sha256", s1 + " " + s384 + " " + s256, s384, s1 + " " + s384 + " " + s256, false},
		{"strongest listed last", s1 + " " + s512, s512, s1 + " " + s512, false},
		// ssri "discards invalid format entries": missing dash, missing
		// algorithm, missing digest.
		{"invalid shapes ignored", "thisisbad -deadbeef sha512- " + s512, s512, s512, false},
		// ssri "always omits completely unknown algos"; md5 too (see doc.go).
		{"unknown algorithms ignored", "foo-" + strings.Repeat("x", 49) + " md5-XrY7u+Ae7tCTyyK7j1rNww== " + s256, s256, s256, false},
		{"uppercase algorithm is not an algorithm", "SHA512-" + s512[len("sha512-"):] + " " + s1, s1, s1, true},
		{"duplicates collapse", s512 + " " + s512, s512, s512, false},
		{"first of several digests of the strongest algorithm", s512 + " " + other512, s512, s512 + " " + other512, false},
		{"sha1 only is weak", s1, s1, s1, true},
		{"legacy sha1 SRI from a v1 lockfile", "sha1-dTU0W4lnNNX4DE0GxQlVUnoU8Ss=", "sha1-dTU0W4lnNNX4DE0GxQlVUnoU8Ss=", "sha1-dTU0W4lnNNX4DE0GxQlVUnoU8Ss=", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSRI(tt.in)
			if err != nil {
				t.Fatalf("ParseSRI(%q): %v", tt.in, err)
			}
			if s := got.Strongest().String(); s != tt.strongest {
				t.Errorf("Strongest() = %s, want %s", s, tt.strongest)
			}
			if s := got.String(); s != tt.all {
				t.Errorf("String() = %s, want %s", s, tt.all)
			}
			if w := got.WeakOnly(); w != tt.weak {
				t.Errorf("WeakOnly() = %v, want %v", w, tt.weak)
			}
		})
	}
}

func TestParseSRIErrors(t *testing.T) {
	data := []byte("x")
	s512, s1 := sri("sha512", data), sri("sha1", data)
	tests := []struct {
		name, in, wantInMsg string
	}{
		{"empty", "", "empty"},
		{"blank", " \t\n", "empty"},
		{"garbage", "garbage", "no sha512"},
		{"only unknown", "foo-YmFy sha3-YmFy", "no sha512"},
		// ssri "does not allow weird stuff in sri".
		{"weird stuff", "mdc2\u0000/../../../hello_what_am_I_doing_here-Juwtg9UFssfrRfwsXu+n/Q==", "no sha512"},
		// Would be a silent downgrade to sha1 if ignored (see doc.go); ssri's
		// "sha512-nope sha512-<good>" vector lands here too.
		{"malformed strong next to weak", "sha512-nope " + s1, `"sha512-nope"`},
		{"malformed next to good same algorithm", "sha512-nope " + s512, "88 characters"},
		{"unpadded", strings.TrimRight(s512, "="), "padded standard base64"},
		{"url-safe alphabet", "sha512-" + strings.Repeat("-", 86) + "==", "base64"},
		{"sha256 length under sha512 name", "sha512-" + sri("sha256", data)[len("sha256-"):], "64 bytes"},
		{"truncated", s512[:len(s512)-4], "base64"},
		{"non-zero padding bits", "sha1-" + s1[len("sha1-"):len(s1)-2] + "B=", "base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSRI(tt.in)
			if err == nil {
				t.Fatalf("ParseSRI(%q) = %v, want error", tt.in, got)
			}
			if !errors.Is(err, ErrBadIntegrity) {
				t.Errorf("error %v does not match ErrBadIntegrity", err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Input != tt.in {
				t.Errorf("error %#v is not a *ParseError naming the input", err)
			}
			if !strings.Contains(err.Error(), tt.wantInMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantInMsg)
			}
		})
	}
}

func TestParseHex(t *testing.T) {
	tests := []struct {
		algo, hex string
		want      string // SRI form, "" for an error
	}{
		{"sha1", isNumberShasum, "sha1-dTU0W4lnNNX4DE0GxQlVUnoU8Ss="},
		{"sha1", strings.ToUpper(isNumberShasum), "sha1-dTU0W4lnNNX4DE0GxQlVUnoU8Ss="},
		{"sha1", abcSHA1, sri("sha1", []byte("abc"))},
		{"sha512", abcSHA512, sri("sha512", []byte("abc"))},
		{"sha1", isNumberShasum[:39], ""},
		{"sha1", isNumberShasum[:38] + "zz", ""},
		{"md5", "900150983cd24fb0d6963f7d28e17f72", ""},
		{"sha256", isNumberShasum, ""},
	}
	for _, tt := range tests {
		d, err := ParseHex(tt.algo, tt.hex)
		if tt.want == "" {
			if err == nil || !errors.Is(err, ErrBadIntegrity) {
				t.Errorf("ParseHex(%s, %s) = %v, %v; want an ErrBadIntegrity error", tt.algo, tt.hex, d, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseHex(%s, %s): %v", tt.algo, tt.hex, err)
			continue
		}
		if d.String() != tt.want {
			t.Errorf("ParseHex(%s, %s) = %s, want %s", tt.algo, tt.hex, d, tt.want)
		}
		if d.Hex() != strings.ToLower(tt.hex) {
			t.Errorf("Hex() = %s, want %s", d.Hex(), strings.ToLower(tt.hex))
		}
	}
}

func TestCheckerRealTarball(t *testing.T) {
	tgz, err := os.ReadFile("testdata/is-number-7.0.0.tgz")
	if err != nil {
		t.Fatal(err)
	}
	integ, err := ParseSRI(isNumberSRI)
	if err != nil {
		t.Fatal(err)
	}
	shasum, err := ParseHex("sha1", isNumberShasum)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []Digest{integ.Strongest(), shasum} {
		c := NewChecker(want)
		// Odd-sized chunks: the result must not depend on how bytes arrive.
		if _, err := io.CopyBuffer(c, bytes.NewReader(tgz), make([]byte, 7)); err != nil {
			t.Fatal(err)
		}
		if err := c.Check(); err != nil {
			t.Errorf("%s: registry tarball does not match its published digest: %v", want.Algorithm, err)
		}
		if c.N() != int64(len(tgz)) {
			t.Errorf("N() = %d, want %d", c.N(), len(tgz))
		}
	}
}

func TestCheckerDetectsEveryChange(t *testing.T) {
	data := []byte("abc")
	want, err := ParseHex("sha512", abcSHA512)
	if err != nil {
		t.Fatal(err)
	}
	variants := map[string][]byte{
		"empty":     {},
		"truncated": data[:2],
		"extended":  append(append([]byte{}, data...), 0),
	}
	for i := range data {
		for bit := 0; bit < 8; bit++ {
			v := append([]byte{}, data...)
			v[i] ^= 1 << bit
			variants[string(rune('0'+i))+"/"+string(rune('0'+bit))] = v
		}
	}
	for name, v := range variants {
		c := NewChecker(want)
		c.Write(v)
		err := c.Check()
		var me *MismatchError
		if !errors.As(err, &me) || !errors.Is(err, ErrIntegrity) {
			t.Errorf("%s: Check() = %v, want a *MismatchError matching ErrIntegrity", name, err)
			continue
		}
		if me.Want.String() != want.String() || me.Got.String() != sri("sha512", v) {
			t.Errorf("%s: mismatch reports want %s got %s; want %s got %s", name, me.Want, me.Got, want, sri("sha512", v))
		}
		if !strings.Contains(err.Error(), want.String()) || !strings.Contains(err.Error(), me.Got.String()) {
			t.Errorf("%s: message %q does not name both digests", name, err)
		}
	}
	c := NewChecker(want)
	c.Write(data)
	if err := c.Check(); err != nil {
		t.Errorf("the original bytes: %v", err)
	}
	if err := c.Check(); err != nil {
		t.Errorf("second Check: %v", err)
	}
}

func TestCheckerRefusesUnusableDigest(t *testing.T) {
	for _, d := range []Digest{
		{},
		{Algorithm: "md5", Sum: make([]byte, 16)},
		{Algorithm: "sha512", Sum: make([]byte, 32)},
		{Algorithm: "../../etc", Sum: make([]byte, 64)},
	} {
		c := NewChecker(d)
		c.Write([]byte("anything"))
		err := c.Check()
		if err == nil {
			t.Errorf("NewChecker(%+v).Check() = nil, want an error", d)
		} else if errors.Is(err, ErrIntegrity) {
			t.Errorf("NewChecker(%+v).Check() = %v: an unusable expectation is not a mismatch", d, err)
		}
		if d.Validate() == nil {
			t.Errorf("Validate(%+v) = nil", d)
		}
	}
}

func FuzzParseSRI(f *testing.F) {
	f.Add(isNumberSRI)
	f.Add(isNumberSRI + "?opt sha1-dTU0W4lnNNX4DE0GxQlVUnoU8Ss=")
	f.Add("sha512-nope sha1-x")
	f.Add("mdc2\u0000/../x-Juwtg9UFssfrRfwsXu+n/Q==")
	f.Add(" \t")
	f.Fuzz(func(t *testing.T, s string) {
		integ, err := ParseSRI(s)
		if err != nil {
			if !errors.Is(err, ErrBadIntegrity) {
				t.Fatalf("ParseSRI(%q): error %v does not match ErrBadIntegrity", s, err)
			}
			return
		}
		if len(integ) == 0 {
			t.Fatalf("ParseSRI(%q) returned no digests and no error", s)
		}
		for _, d := range integ {
			if err := d.Validate(); err != nil {
				t.Fatalf("ParseSRI(%q) returned an invalid digest: %v", s, err)
			}
		}
		// The canonical form must parse back to itself.
		again, err := ParseSRI(integ.String())
		if err != nil || again.String() != integ.String() {
			t.Fatalf("round trip of %q: %q, %v", integ.String(), again.String(), err)
		}
		if integ.Strongest().Validate() != nil {
			t.Fatalf("Strongest of %q is invalid", s)
		}
	})
}

func BenchmarkChecker(b *testing.B) {
	buf := make([]byte, 1<<20)
	for _, algo := range []string{"sha512", "sha256", "sha1"} {
		d, _ := ParseSRI(sri(algo, nil))
		b.Run(algo, func(b *testing.B) {
			b.SetBytes(int64(len(buf)))
			c := NewChecker(d.Strongest())
			for b.Loop() {
				c.Write(buf)
			}
			_ = c.Check()
		})
	}
}
