package npmrc

import (
	"net/http"
	"net/url"
	"testing"
)

func TestCA(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]string
		list     []string
		wantFile string
		wantPEM  string
	}{
		{"none", nil, nil, "", ""},
		{"cafile absolute", map[string]string{"cafile": "/etc/ssl/ca.pem"}, nil, "/etc/ssl/ca.pem", ""},
		{"cafile relative to the working directory", map[string]string{"cafile": "certs/ca.pem"}, nil, "/work/certs/ca.pem", ""},
		{"cafile with tilde", map[string]string{"cafile": "~/ca.pem"}, nil, "/home/u/ca.pem", ""},
		{"cafile beats ca", map[string]string{"cafile": "/ca.pem", "ca": "X"}, nil, "/ca.pem", ""},
		{"inline ca with \\n", map[string]string{"ca": `-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----`}, nil, "",
			"-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n"},
		{"ca=null", map[string]string{"ca": "null"}, nil, "", ""},
		{"ca[] list", nil, []string{"A", "B"}, "", "A\nB\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := configOf(t, tt.settings)
			if tt.list != nil {
				c.values["ca"] = Value{Value: tt.list[len(tt.list)-1], List: tt.list, Source: "/f"}
			}
			ca, ok := c.CA()
			if ok != (tt.wantFile != "" || tt.wantPEM != "") || ca.File != tt.wantFile || string(ca.PEM) != tt.wantPEM {
				t.Errorf("CA() = %+v (%q), %v", ca, ca.PEM, ok)
			}
		})
	}
}

func TestClientCerts(t *testing.T) {
	c := configOf(t, map[string]string{
		"//a.example/:certfile":        "/a.crt",
		"//a.example/:keyfile":         "/a.key",
		"//b.example:8443/x/:certfile": "b.crt",
		"//b.example:8443/x/:keyfile":  "~/b.key",
		"//c.example/:certfile":        "/c.crt", // no keyfile: ignored, as npm does
	})
	got := c.ClientCerts()
	if len(got) != 2 {
		t.Fatalf("ClientCerts() = %+v", got)
	}
	if got[0].Host != "a.example" || got[0].CertFile != "/a.crt" || got[0].KeyFile != "/a.key" {
		t.Errorf("got[0] = %+v", got[0])
	}
	if got[1].Host != "b.example:8443" || got[1].CertFile != "/work/b.crt" || got[1].KeyFile != "/home/u/b.key" || got[1].Prefix != "//b.example:8443/x/" {
		t.Errorf("got[1] = %+v", got[1])
	}
}

func TestProxy(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]string
		env      map[string]Value
		host     string
		want     string // proxy URL for https://host/, "" for direct
		wantErr  bool
	}{
		{"none", nil, nil, "r.example", "", false},
		{"https-proxy", map[string]string{"https-proxy": "http://p.example:3128"}, nil, "r.example", "http://p.example:3128", false},
		{"https-proxy beats proxy", map[string]string{"https-proxy": "http://a.example", "proxy": "http://b.example"}, nil, "r.example", "http://a.example", false},
		{"proxy", map[string]string{"proxy": "http://b.example"}, nil, "r.example", "http://b.example", false},
		{"proxy=false falls through to env", map[string]string{"proxy": "false"}, map[string]Value{"https_proxy": {Value: "http://e.example"}}, "r.example", "http://e.example", false},
		{"config beats env", map[string]string{"https-proxy": "http://a.example"}, map[string]Value{"https_proxy": {Value: "http://e.example"}}, "r.example", "http://a.example", false},
		{"no scheme means http", map[string]string{"https-proxy": "p.example:3128"}, nil, "r.example", "http://p.example:3128", false},
		{"noproxy suffix", map[string]string{"https-proxy": "http://p", "noproxy": "example.com"}, nil, "r.example.com", "", false},
		{"noproxy leading dot", map[string]string{"https-proxy": "http://p", "noproxy": ".example.com"}, nil, "example.com", "", false},
		{"noproxy is whole labels", map[string]string{"https-proxy": "http://p", "noproxy": "ample.com"}, nil, "example.com", "http://p", false},
		{"noproxy list", map[string]string{"https-proxy": "http://p", "noproxy": "a.com, b.com"}, nil, "x.b.com", "", false},
		{"no_proxy env", map[string]string{"https-proxy": "http://p"}, map[string]Value{"no_proxy": {Value: "r.example"}}, "r.example", "", false},
		{"no_proxy star", map[string]string{"https-proxy": "http://p"}, map[string]Value{"no_proxy": {Value: "*"}}, "r.example", "", false},
		{"bad scheme", map[string]string{"https-proxy": "ftp://p.example"}, nil, "r.example", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := configOf(t, tt.settings)
			c.proxyEnv = tt.env
			p, err := c.Proxy()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Proxy() error = %v", err)
			}
			if err != nil {
				return
			}
			u, _ := p.Func()(&http.Request{URL: &url.URL{Scheme: "https", Host: tt.host, Path: "/"}})
			got := ""
			if u != nil {
				got = u.String()
			}
			if got != tt.want {
				t.Errorf("proxy for %s = %q, want %q", tt.host, got, tt.want)
			}
		})
	}
}
