package npmrc

import (
	"fmt"
	"strings"
	"testing"
)

// TestNoCredentialInOutput formats a loaded Config and its Values with every
// common verb and checks that no credential shows.
func TestNoCredentialInOutput(t *testing.T) {
	w := newWorld(t)
	w.write(t, "proj/.npmrc", strings.Join([]string{
		"//r.example/:_authToken=SECRET-TOKEN-1",
		"//r.example/:_auth=SECRET-AUTH-2",
		"//r.example/:_password=SECRET-PASS-3",
		"//r.example/:username=someone",
		"https-proxy=http://proxyuser:SECRET-PROXY-4@proxy.example:3128",
		"key=SECRET-KEY-5",
		"@s:registry=https://SECRET-USER-6@s.example/",
		"ca[]=-----BEGIN CERTIFICATE-----",
	}, "\n"))
	c := w.load(t, "npm_config_//e.example/:_authToken=SECRET-ENV-7", "HTTPS_PROXY=http://u:SECRET-ENV-8@p.example")
	secrets := []string{"SECRET-TOKEN-1", "SECRET-AUTH-2", "SECRET-PASS-3", "SECRET-PROXY-4", "SECRET-KEY-5", "SECRET-USER-6", "SECRET-ENV-7", "SECRET-ENV-8"}

	var out strings.Builder
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		fmt.Fprintf(&out, verb+"\n", c)
		fmt.Fprintf(&out, verb+"\n", *c)
		for _, k := range c.Keys() {
			v, _ := c.Get(k)
			fmt.Fprintf(&out, verb+"\n", v)
			fmt.Fprintf(&out, verb+"\n", []Value{v})
			fmt.Fprintf(&out, verb+"\n", map[string]Value{k: v})
			fmt.Fprintf(&out, verb+"\n", struct{ V Value }{v})
		}
	}
	out.WriteString(c.String() + c.GoString())
	for _, k := range c.Keys() {
		v, _ := c.Get(k)
		out.WriteString(v.String() + v.GoString())
	}
	p, err := c.Proxy()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&out, "%v %s\n", p.URL.Redacted(), p.Source)
	for _, s := range secrets {
		if strings.Contains(out.String(), s) {
			t.Errorf("%s appears in formatted output", s)
		}
	}
	// The output still says where things are, or it would be useless.
	for _, want := range []string{"//r.example/:_authToken", "(redacted)", "proxy.example", "someone", "BEGIN CERTIFICATE"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("formatted output lacks %q", want)
		}
	}
	// The values themselves are intact for the code that needs them.
	if h, _ := c.AuthFor("https://r.example/x"); h != "Bearer SECRET-TOKEN-1" {
		t.Errorf("AuthFor = %q", h)
	}
}
