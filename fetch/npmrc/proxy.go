package npmrc

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Proxy is the HTTPS proxy npm would use.
type Proxy struct {
	URL     *url.URL // nil: connect directly
	NoProxy []string // host suffixes that bypass the proxy
	Source  string   // where URL came from
}

// Proxy returns the proxy for https requests as npm computes it
// (npm-registry-fetch and @npmcli/agent): https-proxy, else proxy, else the
// https_proxy variable (any case); noproxy (comma-separated or an array),
// else no_proxy. A proxy URL without a scheme means http://, as in Go and
// curl; the tunnel to the registry is TLS either way.
func (c *Config) Proxy() (Proxy, error) {
	var p Proxy
	var src Value
	found := false
	for _, k := range []string{"https-proxy", "proxy"} {
		if v, ok := c.str(k); ok && truthy(v.Value) {
			src, found = v, true
			break
		}
	}
	if !found {
		if v, ok := c.proxyEnv["https_proxy"]; ok && v.Value != "" {
			src, found = v, true
		}
	}
	if found {
		raw := src.Value
		if !strings.Contains(raw, "://") {
			raw = "http://" + raw
		}
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return Proxy{}, &ConfigError{Source: src.Source, Key: "proxy", Detail: fmt.Sprintf("%q", redactURL(src.Value)), Err: ErrBadURL}
		}
		switch strings.ToLower(u.Scheme) {
		case "http", "https", "socks5", "socks5h":
		default:
			return Proxy{}, &ConfigError{Source: src.Source, Key: "proxy", Detail: redactURL(src.Value),
				Err: fmt.Errorf("unsupported proxy scheme %q; use http://, https:// or socks5://", u.Scheme)}
		}
		p.URL, p.Source = u, src.Source
	}
	var no []string
	if v, ok := c.str("noproxy"); ok && truthy(v.Value) {
		no = v.List
		if no == nil {
			no = []string{v.Value}
		}
	} else if v, ok := c.proxyEnv["no_proxy"]; ok {
		no = []string{v.Value}
	}
	for _, entry := range no {
		for _, s := range strings.Split(entry, ",") {
			if s = strings.TrimSpace(s); s != "" {
				p.NoProxy = append(p.NoProxy, s)
			}
		}
	}
	return p, nil
}

// Func returns a function for http.Transport.Proxy.
func (p Proxy) Func() func(*http.Request) (*url.URL, error) {
	return func(r *http.Request) (*url.URL, error) {
		if p.URL == nil || p.Bypass(r.URL.Hostname()) {
			return nil, nil
		}
		return p.URL, nil
	}
}

// Bypass reports whether host matches NoProxy the way @npmcli/agent does:
// the entry's dot-separated labels must equal the host's last labels
// ("example.com" and ".example.com" both match "a.example.com"). "*" matches
// every host, as in curl and Go.
func (p Proxy) Bypass(host string) bool {
	hostLabels := reverse(strings.Split(strings.ToLower(host), "."))
	for _, no := range p.NoProxy {
		if no == "*" {
			return true
		}
		var labels []string
		for _, l := range strings.Split(strings.ToLower(no), ".") {
			if l != "" {
				labels = append(labels, l)
			}
		}
		if len(labels) == 0 || len(labels) > len(hostLabels) {
			continue
		}
		labels = reverse(labels)
		match := true
		for i := range labels {
			if hostLabels[i] != labels[i] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

func reverse(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}
