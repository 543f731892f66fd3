package npmrc

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Value is one setting and where it came from.
type Value struct {
	// Value is the setting after ini decoding and ${VAR} expansion. For a
	// key[]= array it is the last element.
	Value string
	// List holds every element of a key[]= array; nil for a plain key.
	List []string
	// Source is the file path, or "env npm_config_x" for a variable.
	Source string

	// redact says how to print Value: credentials never reach a log.
	redact redaction
}

type redaction uint8

const (
	showValue   redaction = iota
	hideValue             // tokens, passwords, private keys
	hideURLUser           // URLs that may carry user:password@
)

// redactionFor classifies a key by name; the rule is deliberately broad so
// that a credential under an unexpected spelling is still hidden.
func redactionFor(key string) redaction {
	base := key
	if i := strings.LastIndex(key, ":"); i >= 0 {
		base = key[i+1:]
	}
	switch strings.ToLower(base) {
	case "_authtoken", "-authtoken", "_auth", "_password", "password", "token", "otp":
		return hideValue
	case "registry", "proxy", "https-proxy", "http-proxy":
		return hideURLUser
	}
	if key == "key" || key == "cert-key" {
		return hideValue
	}
	return showValue
}

// Redacted returns the value as it may be shown to a user.
func (v Value) Redacted() string {
	switch v.redact {
	case hideValue:
		if v.Value == "" && v.List == nil {
			return ""
		}
		return "(redacted)"
	case hideURLUser:
		return redactURL(v.Value)
	}
	if v.List != nil {
		return strings.Join(v.List, ", ")
	}
	return v.Value
}

// Format prints the value redacted under every verb, so that %v, %+v, %#v,
// %s and %q of a Value, or of any struct or map holding one, never show a
// credential.
func (v Value) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		fmt.Fprintf(f, "npmrc.Value{Value:%s, Source:%s}", strconv.Quote(v.Redacted()), strconv.Quote(v.Source))
	case verb == 'v' && f.Flag('+'):
		fmt.Fprintf(f, "{Value:%s Source:%s}", v.Redacted(), v.Source)
	case verb == 'q':
		fmt.Fprint(f, strconv.Quote(v.Redacted()))
	default:
		fmt.Fprint(f, v.Redacted())
	}
}

// String and GoString return the redacted forms too, for printers that ask
// for an interface rather than going through fmt.
func (v Value) String() string   { return v.Redacted() }
func (v Value) GoString() string { return fmt.Sprintf("%#v", v) }

// redactURL hides the password of user:password@ in anything URL-shaped.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if strings.Contains(s, "@") {
			return "(redacted)"
		}
		return s
	}
	if u.User == nil {
		return s
	}
	// Hide the user name too: registries accept a token there.
	u.User = url.User("REDACTED")
	return u.String()
}

// truthy mirrors how npm's JavaScript tests a config value: the ini parser
// turns "false" and "null" into false and null, and "" is falsy too.
func truthy(s string) bool {
	return s != "" && s != "false" && s != "null"
}
