package pypi

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/airlock-dev/airlock/internal/safefile"
)

// netrcEntry is one "machine" of a .netrc file.
type netrcEntry struct {
	machine, login, password string
}

// loadNetrc reads the .netrc pip's HTTP library (requests) would read:
// $NETRC, else ~/.netrc. Like Python's netrc module, a file that others can
// read is ignored (with a warning): it holds passwords. A "default" entry
// is ignored too, with a warning: it would send one password to every
// host, and airlock sends credentials only to the host they name.
func loadNetrc(getenv func(string) string, home string) ([]netrcEntry, []string, error) {
	path := getenv("NETRC")
	if path == "" {
		if home == "" {
			return nil, nil, nil
		}
		path = home + "/.netrc"
	}
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, []string{fmt.Sprintf("%s is readable by other users (mode %#o), so its passwords are not used, as Python's netrc refuses it: chmod 600 %s", path, info.Mode().Perm(), path)}, nil
	}
	data, err := safefile.Read(path, MaxConfigFileSize)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	entries, hasDefault := parseNetrc(string(data))
	var warnings []string
	if hasDefault {
		warnings = append(warnings, fmt.Sprintf("the \"default\" entry of %s is not used: airlock sends credentials only to the host a \"machine\" entry names", path))
	}
	return entries, warnings, nil
}

// parseNetrc reads netrc tokens: "machine NAME", "login", "password",
// "account", "default", and "macdef NAME" whose body runs to an empty line.
func parseNetrc(text string) (entries []netrcEntry, hasDefault bool) {
	lines := strings.Split(text, "\n")
	var cur *netrcEntry
	inDefault := false
	for i := 0; i < len(lines); i++ {
		fields := strings.Fields(lines[i])
		for j := 0; j < len(fields); j++ {
			tok := fields[j]
			if strings.HasPrefix(tok, "#") {
				break
			}
			next := func() string {
				if j+1 < len(fields) {
					j++
					return fields[j]
				}
				return ""
			}
			switch tok {
			case "machine":
				entries = append(entries, netrcEntry{machine: strings.ToLower(next())})
				cur, inDefault = &entries[len(entries)-1], false
			case "default":
				cur, inDefault, hasDefault = nil, true, true
			case "login":
				v := next()
				if cur != nil && !inDefault {
					cur.login = v
				}
			case "password":
				v := next()
				if cur != nil && !inDefault {
					cur.password = v
				}
			case "account":
				next()
			case "macdef":
				// The macro body runs to the next empty line.
				for i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != "" {
					i++
				}
				j = len(fields)
			}
		}
	}
	return entries, hasDefault
}
