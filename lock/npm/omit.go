package npm

import (
	"fmt"
	"strings"
)

// Omit says which dependency types stay off disk (npm's --omit).
type Omit struct{ Dev, Optional, Peer bool }

func (o Omit) String() string {
	var s []string
	for _, t := range []struct {
		on   bool
		name string
	}{{o.Dev, "dev"}, {o.Optional, "optional"}, {o.Peer, "peer"}} {
		if t.on {
			s = append(s, t.name)
		}
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ",")
}

// OmitConfig is everything npm 11 reads to decide what to omit. Each of
// Omit, Include and the deprecated aliases is the value of the highest npm
// config layer that sets it (command line over environment over project,
// user and global .npmrc): npm does not merge a key across layers, so
// --omit=optional on the command line replaces omit=dev from .npmrc.
type OmitConfig struct {
	// Omit and Include are the omit and include settings, nil when no layer
	// sets them. Entries may be comma-separated lists ("dev,optional").
	Omit, Include []string
	// NodeEnv is $NODE_ENV; "production" makes omit default to dev.
	NodeEnv string

	// Deprecated aliases, as npm 11 still honours them.
	Production *bool  // --production: omit dev; --production=false: include dev
	Only       string // --only=prod|production: omit dev
	Also       string // --also=dev|development: include dev
	Dev        bool   // --dev: include dev
	Optional   *bool  // --optional=false: omit optional; --optional: include it
}

// ResolveOmit applies npm's precedence to the command-line and .npmrc
// settings: a command-line --omit replaces .npmrc's omit (likewise
// --include), NODE_ENV=production makes omit default to dev when no layer
// sets it, and a type that is both omitted and included is included.
//
// npm rejects a comma list such as --omit=dev,optional as an invalid value
// and then omits nothing (it only warns); airlock takes the list as meant.
// Any other unknown type is an error.
func ResolveOmit(omitFlags, includeFlags, npmrcOmit, npmrcInclude []string, nodeEnv string) (Omit, error) {
	c := OmitConfig{NodeEnv: nodeEnv, Omit: npmrcOmit, Include: npmrcInclude}
	if omitFlags != nil {
		c.Omit = omitFlags
	}
	if includeFlags != nil {
		c.Include = includeFlags
	}
	return c.Resolve()
}

// Resolve is npm's buildOmitList (@npmcli/config definitions).
func (c OmitConfig) Resolve() (Omit, error) {
	omit, err := typeSet("omit", c.Omit, "dev", "optional", "peer")
	if err != nil {
		return Omit{}, err
	}
	include, err := typeSet("include", c.Include, "prod", "dev", "optional", "peer")
	if err != nil {
		return Omit{}, err
	}
	if c.Omit == nil && c.NodeEnv == "production" {
		omit["dev"] = true
	}
	switch {
	case c.Only == "prod" || c.Only == "production" || (c.Production != nil && *c.Production):
		omit["dev"] = true
	case c.Production != nil && !*c.Production:
		include["dev"] = true
	}
	if strings.HasPrefix(c.Also, "dev") || c.Dev {
		include["dev"] = true
	}
	if c.Optional != nil {
		if *c.Optional {
			include["optional"] = true
		} else {
			omit["optional"] = true
		}
	}
	return Omit{
		Dev:      omit["dev"] && !include["dev"],
		Optional: omit["optional"] && !include["optional"],
		Peer:     omit["peer"] && !include["peer"],
	}, nil
}

func typeSet(key string, values []string, allowed ...string) (map[string]bool, error) {
	set := map[string]bool{}
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			ok := false
			for _, a := range allowed {
				ok = ok || t == a
			}
			if !ok {
				return nil, fmt.Errorf("lock/npm: %w: %s=%q: the types are %s", ErrBadOmit, key, t, strings.Join(allowed, ", "))
			}
			set[t] = true
		}
	}
	return set, nil
}
