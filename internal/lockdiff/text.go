package lockdiff

import (
	"fmt"
	"io"
	"strings"
)

// Summary counts a diff's changes.
type Summary struct {
	Added      int `json:"added"`
	Removed    int `json:"removed"`
	Changed    int `json:"changed"`
	Suspicious int `json:"flagged"`
}

// Summarize counts changes.
func Summarize(changes []Change) Summary {
	var s Summary
	for _, c := range changes {
		switch c.Kind {
		case Added:
			s.Added++
		case Removed:
			s.Removed++
		case Changed:
			s.Changed++
		}
		if c.Suspicious() {
			s.Suspicious++
		}
	}
	return s
}

// WriteText writes the diff for people: flagged changes first, then the
// rest in key order; one line per package, indented lines for its notes
// and registry facts.
func WriteText(w io.Writer, changes []Change) error {
	s := Summarize(changes)
	var b strings.Builder
	fmt.Fprintf(&b, "%d added, %d removed, %d changed; %d need a reviewer's attention\n", s.Added, s.Removed, s.Changed, s.Suspicious)
	for _, flagged := range []bool{true, false} {
		for _, c := range changes {
			if c.Suspicious() != flagged {
				continue
			}
			writeChange(&b, c)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeChange(b *strings.Builder, c Change) {
	switch c.Kind {
	case Added:
		fmt.Fprintf(b, "+ %s %s@%s", c.Key, c.New.Name, c.New.Version)
	case Removed:
		fmt.Fprintf(b, "- %s %s@%s", c.Key, c.Old.Name, c.Old.Version)
	case Changed:
		if c.Old.Name != c.New.Name {
			fmt.Fprintf(b, "~ %s %s@%s -> %s@%s", c.Key, c.Old.Name, c.Old.Version, c.New.Name, c.New.Version)
		} else if c.Old.Version != c.New.Version {
			fmt.Fprintf(b, "~ %s %s %s -> %s", c.Key, c.New.Name, c.Old.Version, c.New.Version)
		} else {
			fmt.Fprintf(b, "~ %s %s@%s", c.Key, c.New.Name, c.New.Version)
		}
	}
	e := c.New
	if e == nil {
		e = c.Old
	}
	if e.Source != "registry" {
		fmt.Fprintf(b, " (%s)", e.Source)
	}
	if e.Dev {
		b.WriteString(" dev")
	} else if e.Optional {
		b.WriteString(" optional")
	}
	if len(c.Flags) > 0 {
		fl := make([]string, len(c.Flags))
		for i, f := range c.Flags {
			fl[i] = string(f)
		}
		fmt.Fprintf(b, "  [%s]", strings.Join(fl, ", "))
	}
	b.WriteByte('\n')
	for _, n := range c.Notes {
		fmt.Fprintf(b, "    %s\n", n)
	}
	for _, a := range c.Advisories {
		kind := "advisory"
		if a.Malware {
			kind = "MALICIOUS PACKAGE"
		}
		fmt.Fprintf(b, "    %s %s (%s): %s\n", kind, a.ID, a.Severity, a.Summary)
	}
	for _, a := range c.Fixed {
		fmt.Fprintf(b, "    fixes %s (%s): %s\n", a.ID, a.Severity, a.Summary)
	}
	if f := c.Registry; f != nil {
		line := "    registry:"
		if !f.Published.IsZero() {
			line += fmt.Sprintf(" published %s (%s)", f.Published.Format("2006-01-02"), f.Age)
		}
		if f.Publisher != "" {
			line += " by " + f.Publisher
		}
		line += fmt.Sprintf("; provenance: %s", yesNoWord(f.Provenance))
		b.WriteString(line + "\n")
		for _, n := range f.Notes {
			fmt.Fprintf(b, "    %s\n", n)
		}
	}
}

func yesNoWord(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}
