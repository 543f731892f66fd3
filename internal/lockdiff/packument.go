package lockdiff

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Facts are what the registry says about a changed package's new version,
// compared with its old version where there was one.
type Facts struct {
	// Published is when the new version was published (packument time);
	// zero if the registry does not say.
	Published time.Time `json:"published,omitempty"`
	// Age is how long before the diff was made that was.
	Age string `json:"age,omitempty"`
	// Publisher is the account that published the new version (_npmUser);
	// OldPublisher the one that published the old version.
	Publisher    string `json:"publisher,omitempty"`
	OldPublisher string `json:"old_publisher,omitempty"`
	// MaintainersAdded and MaintainersRemoved compare the versions'
	// maintainers lists.
	MaintainersAdded   []string `json:"maintainers_added,omitempty"`
	MaintainersRemoved []string `json:"maintainers_removed,omitempty"`
	// Provenance and OldProvenance say whether each version carries a
	// provenance attestation (dist.attestations).
	Provenance    bool `json:"provenance"`
	OldProvenance bool `json:"old_provenance"`
	// InstallScript and OldInstallScript say whether each version's
	// manifest declares preinstall, install or postinstall scripts (or a
	// binding.gyp build): yarn lockfiles do not record it.
	InstallScript    bool `json:"install_script"`
	OldInstallScript bool `json:"old_install_script"`
	// Notes are the facts a reviewer should read, in words.
	Notes []string `json:"notes,omitempty"`
}

type person struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

func (p person) String() string { return p.Name }

type versionDoc struct {
	NpmUser     *person         `json:"_npmUser"`
	Maintainers json.RawMessage `json:"maintainers"`
	Dist        struct {
		Attestations json.RawMessage `json:"attestations"`
	} `json:"dist"`
	Scripts          map[string]json.RawMessage `json:"scripts"`
	HasInstallScript bool                       `json:"hasInstallScript"`
	Gypfile          bool                       `json:"gypfile"`
}

// installScript reports whether a version runs code when installed, as
// npm decides it: a preinstall, install or postinstall script, or a
// binding.gyp (npm adds "node-gyp rebuild" for it, gypfile: true).
func (v versionDoc) installScript() bool {
	if v.HasInstallScript || v.Gypfile {
		return true
	}
	for _, k := range []string{"preinstall", "install", "postinstall"} {
		if _, ok := v.Scripts[k]; ok {
			return true
		}
	}
	return false
}

// Packument extracts the Facts for newVersion (and oldVersion, "" for an
// added package) from a full packument (application/json, not the
// abbreviated install form, which has no publishers or times).
func Packument(body []byte, oldVersion, newVersion string, now time.Time) (*Facts, error) {
	var doc struct {
		Time     map[string]string          `json:"time"`
		Versions map[string]json.RawMessage `json:"versions"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("lockdiff: packument: %w", err)
	}
	nv, ok := version(doc.Versions, newVersion)
	if !ok {
		return nil, fmt.Errorf("lockdiff: the registry lists no version %s (unpublished, or not from this registry)", newVersion)
	}
	f := &Facts{Provenance: hasAttestations(nv), InstallScript: nv.installScript()}
	if t, err := time.Parse(time.RFC3339, doc.Time[newVersion]); err == nil {
		f.Published = t.UTC()
		f.Age = humanAge(now.Sub(t))
	}
	if nv.NpmUser != nil {
		f.Publisher = nv.NpmUser.Name
	}
	if oldVersion == "" {
		return f, nil
	}
	ov, ok := version(doc.Versions, oldVersion)
	if !ok {
		return f, nil
	}
	f.OldProvenance = hasAttestations(ov)
	f.OldInstallScript = ov.installScript()
	if ov.NpmUser != nil {
		f.OldPublisher = ov.NpmUser.Name
	}
	if f.Publisher != "" && f.OldPublisher != "" && f.Publisher != f.OldPublisher {
		f.Notes = append(f.Notes, fmt.Sprintf("published by %s; the old version was published by %s", f.Publisher, f.OldPublisher))
	}
	oldM, newM := maintainers(ov.Maintainers), maintainers(nv.Maintainers)
	f.MaintainersAdded, f.MaintainersRemoved = minus(newM, oldM), minus(oldM, newM)
	if len(f.MaintainersAdded) > 0 {
		f.Notes = append(f.Notes, "new maintainers: "+strings.Join(f.MaintainersAdded, ", "))
	}
	if len(f.MaintainersRemoved) > 0 {
		f.Notes = append(f.Notes, "maintainers gone: "+strings.Join(f.MaintainersRemoved, ", "))
	}
	if f.OldProvenance && !f.Provenance {
		f.Notes = append(f.Notes, "the old version had a provenance attestation and the new one has none")
	}
	return f, nil
}

func version(versions map[string]json.RawMessage, v string) (versionDoc, bool) {
	raw, ok := versions[v]
	if !ok {
		return versionDoc{}, false
	}
	var d versionDoc
	if json.Unmarshal(raw, &d) != nil {
		return versionDoc{}, false
	}
	return d, true
}

func hasAttestations(v versionDoc) bool {
	a := strings.TrimSpace(string(v.Dist.Attestations))
	return a != "" && a != "null" && a != "{}"
}

// maintainers accepts the list of {name, email} objects npm writes and the
// "name <email>" strings older packuments carry.
func maintainers(raw json.RawMessage) []string {
	var objs []person
	var out []string
	if json.Unmarshal(raw, &objs) == nil {
		for _, p := range objs {
			if p.Name != "" {
				out = append(out, p.Name)
			}
		}
	} else {
		var strs []string
		if json.Unmarshal(raw, &strs) == nil {
			for _, s := range strs {
				if name, _, _ := strings.Cut(s, " <"); name != "" {
					out = append(out, strings.TrimSpace(name))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func minus(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

// humanAge is a release age at the precision a reviewer needs.
func humanAge(d time.Duration) string {
	switch {
	case d < 0:
		return "in the future (clock skew?)"
	case d < time.Hour:
		return fmt.Sprintf("%d minutes ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}
