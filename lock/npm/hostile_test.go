package npm

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/lock"
)

// hostileRefusals is the corpus of hostile lockfiles in testdata/hostile:
// each file is named after its attack, and Parse must refuse it with this
// error, naming this entry, with these words in the message. Parse is pure,
// so a refusal here means nothing was fetched or written (cmd/airlock's
// hostile_lock_refusals.txtar shows the same end to end).
var hostileRefusals = map[string]struct {
	want  error
	entry string // the EntryError path, if the error names one
	text  string
}{
	// Malformed JSON.
	"json-truncated":        {ErrSyntax, "", "unexpected end of JSON input"},
	"json-trailing-garbage": {ErrSyntax, "", "after top-level value"},
	"json-trailing-comma":   {ErrSyntax, "", "invalid character '}'"},
	"json-comment":          {ErrSyntax, "", "invalid character '/'"},
	"json-top-array":        {ErrSyntax, "", "not a JSON object"},
	"json-top-string":       {ErrSyntax, "", "not a JSON object"},
	"json-top-null":         {ErrSyntax, "", "not a JSON object"},
	"json-empty":            {ErrSyntax, "", "unexpected end"},
	"json-nul-byte":         {ErrSyntax, "", `'\x00'`},
	"packages-array":        {ErrSyntax, "", `"packages" is not a JSON object`},
	"packages-string":       {ErrSyntax, "", `"packages" is not a JSON object`},
	"packages-null":         {ErrSyntax, "", `"packages" is not a JSON object`},
	"top-name-object":       {ErrSyntax, "", `"name" must be a string`},

	// Entries of the wrong type.
	"entry-string":             {ErrInvalidEntry, "node_modules/a", "not a JSON object"},
	"entry-array":              {ErrInvalidEntry, "node_modules/a", "not a JSON object"},
	"entry-null":               {ErrInvalidEntry, "node_modules/a", "not a JSON object"},
	"entry-version-number":     {ErrInvalidEntry, "node_modules/a", `"version" must be a string`},
	"entry-resolved-object":    {ErrInvalidEntry, "node_modules/a", `"resolved" must be a string`},
	"entry-integrity-array":    {ErrInvalidEntry, "node_modules/a", `"integrity" must be a string`},
	"entry-link-string":        {ErrInvalidEntry, "node_modules/a", `"link" must be true or false`},
	"entry-name-number":        {ErrInvalidEntry, "node_modules/a", `"name" must be a string`},
	"entry-dependencies-array": {ErrInvalidEntry, "node_modules/a", `"dependencies" must be an object`},

	// Duplicate keys: JSON.parse keeps the last, other readers the first.
	"dup-packages-key":        {ErrDuplicateKey, "node_modules/a", `"packages" key "node_modules/a" appears more than once`},
	"dup-root-entry":          {ErrDuplicateKey, "", `"packages" key "" appears more than once`},
	"dup-integrity":           {ErrDuplicateKey, "node_modules/a", `field "integrity" appears more than once`},
	"dup-integrity-escaped":   {ErrDuplicateKey, "node_modules/a", `field "integrity" appears more than once`},
	"dup-resolved":            {ErrDuplicateKey, "node_modules/a", `field "resolved" appears more than once`},
	"dup-version":             {ErrDuplicateKey, "node_modules/a", `field "version" appears more than once`},
	"dup-name":                {ErrDuplicateKey, "node_modules/a", `field "name" appears more than once`},
	"dup-link":                {ErrDuplicateKey, "node_modules/a", `field "link" appears more than once`},
	"dup-top-packages":        {ErrDuplicateKey, "", `top-level key "packages" appears more than once`},
	"dup-top-lockfileversion": {ErrDuplicateKey, "", `top-level key "lockfileVersion" appears more than once`},

	// Install paths that would leave node_modules or that npm never writes.
	"path-dotdot-escape":       {ErrOutsideProject, "node_modules/../../x", `leaves the project root through ".."`},
	"path-dotdot-etc":          {ErrOutsideProject, "node_modules/a/../../../etc", `through ".."`},
	"path-scope-dotdot":        {ErrOutsideProject, "node_modules/@s/..", `through ".."`},
	"path-absolute":            {ErrOutsideProject, "/etc/cron.d/x", "absolute path"},
	"path-drive-letter":        {ErrOutsideProject, "C:/Windows/node_modules/a", "absolute path"},
	"path-backslash":           {ErrUnsafePath, `node_modules\..\..\x`, "backslash"},
	"path-unc":                 {ErrUnsafePath, `\\server\share`, "backslash"},
	"path-trailing-slash":      {ErrUnsafePath, "node_modules/", "empty"},
	"path-empty-segment":       {ErrUnsafePath, "node_modules//a", "empty"},
	"path-dot-segment":         {ErrUnsafePath, "node_modules/./a", `"." segment`},
	"path-bin-dir":             {ErrUnsafePath, "node_modules/.bin", "cannot start with a period"},
	"path-hidden-lockfile":     {ErrUnsafePath, "node_modules/.package-lock.json", "cannot start with a period"},
	"path-nested-node-modules": {ErrUnsafePath, "node_modules/a/node_modules", "without a package name after it"},
	"path-reserved-name":       {ErrUnsafePath, "node_modules/NODE_MODULES", "reserved"},
	"path-encoded-dotdot":      {ErrUnsafePath, "node_modules/%2e%2e", "URL-friendly"},
	"path-colon":               {ErrUnsafePath, "node_modules/a:evil", "URL-friendly"},
	"path-fullwidth":           {ErrUnsafePath, "node_modules/\uff41", "URL-friendly"},
	"path-invalid-utf8":        {ErrUnsafePath, "node_modules/a\ufffd", "URL-friendly"},
	"path-nul":                 {ErrUnsafePath, "node_modules/a\x00", "NUL"},
	"path-newline":             {ErrUnsafePath, "node_modules/a\nb", "control character"},
	"path-file-below-package":  {ErrUnsafePath, "node_modules/a/index.js", "only node_modules may"},
	"link-target-escape":       {ErrOutsideProject, "node_modules/a", `link target "../../home/u/.ssh"`},
	"link-target-absolute":     {ErrOutsideProject, "node_modules/a", "absolute path"},

	// Names that are not package names (validate-npm-package-name, old packages).
	"name-dotdot":       {ErrBadName, "node_modules/a", "cannot start with a period"},
	"name-traversal":    {ErrBadName, "node_modules/a", "cannot start with a period"},
	"name-scope-dotdot": {ErrBadName, "node_modules/a", "cannot start with a period"},
	"name-dotdot-scope": {ErrBadName, "node_modules/a", "scope cannot be . or .."},
	"name-slash-dotdot": {ErrBadName, "node_modules/a", "URL-friendly"},
	"name-encoded":      {ErrBadName, "node_modules/a", "URL-friendly"},
	"name-space":        {ErrBadName, "node_modules/a", "leading or trailing spaces"},
	"name-query":        {ErrBadName, "node_modules/a", "URL-friendly"},

	// Versions that would steer the derived tarball URL.
	"version-path":                     {ErrBadVersion, "node_modules/a", `"1.0.0/../../x"`},
	"version-query":                    {ErrBadVersion, "node_modules/a", `"1.0.0?a"`},
	"version-fragment":                 {ErrBadVersion, "node_modules/a", `"1.0.0#x"`},
	"version-encoded-dotdot":           {ErrBadVersion, "node_modules/a", `"%2e%2e"`},
	"version-dotdot":                   {ErrBadVersion, "node_modules/a", `".."`},
	"version-space":                    {ErrBadVersion, "node_modules/a", `"1.0.0 "`},
	"version-dist-tag":                 {ErrBadVersion, "node_modules/a", "must be valid semver"},
	"version-range":                    {ErrBadVersion, "node_modules/a", "must be valid semver"},
	"version-registry-shaped-resolved": {ErrBadVersion, "node_modules/a", "derives the download URL"},

	// A registry package installed under another package's folder with no
	// "npm:" alias asking for it (npm ci would install it).
	"substitution-range":       {ErrSubstitution, "node_modules/lodash", `installs package "evil" in folder "lodash", but the project asks for "lodash" as "^4.17.0"`},
	"substitution-tag":         {ErrSubstitution, "node_modules/lodash", `as "latest", not as an "npm:evil@..." alias`},
	"substitution-other-alias": {ErrSubstitution, "node_modules/lodash", `as "npm:lodash-es@^4"`},
	"substitution-transitive":  {ErrSubstitution, "node_modules/debug", `but node_modules/express asks for "debug" as "2.6.9"`},

	// resolved schemes that are no source at all.
	"resolved-data":              {ErrInvalidEntry, "node_modules/a", `"data:application/gzip`},
	"resolved-javascript":        {ErrInvalidEntry, "node_modules/a", "neither a URL"},
	"resolved-ftp":               {ErrInvalidEntry, "node_modules/a", "neither a URL"},
	"resolved-protocol-relative": {ErrInvalidEntry, "node_modules/a", "neither a URL"},
}

func TestHostileLockfiles(t *testing.T) {
	files, err := filepath.Glob("testdata/hostile/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	seen := map[string]bool{}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			tc, ok := hostileRefusals[name]
			if !ok {
				t.Fatalf("%s has no expectation in hostileRefusals", file)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			l, err := Parse(data)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Parse = %v, %v; want %v", l, err, tc.want)
			}
			if l != nil {
				t.Errorf("Parse returned a lockfile with its error")
			}
			var ee *EntryError
			if tc.entry != "" && (!errors.As(err, &ee) || ee.Path != tc.entry) {
				t.Errorf("error %q does not name entry %q", err, tc.entry)
			}
			if !strings.Contains(err.Error(), tc.text) || !strings.HasPrefix(err.Error(), "lock/npm: ") {
				t.Errorf("error %q lacks %q or the package prefix", err, tc.text)
			}
		})
	}
	for name := range hostileRefusals {
		if !seen[name] {
			t.Errorf("hostileRefusals[%q] has no file in testdata/hostile", name)
		}
	}
}

// TestHostileSourcesClassified: entries whose source is suspicious but
// well-formed parse, and come out classified so that policy (cmd/airlock's
// checkNpmPolicy) and fetch/npmrc's TarballURL refuse them before any
// download. A classification of SourceRegistry for any of these without
// those later checks would let the lockfile pick the download host.
func TestHostileSourcesClassified(t *testing.T) {
	const integ = `"integrity":"sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA=="`
	for _, tc := range []struct {
		name     string
		resolved string
		want     lock.Source
	}{
		// Registry-shaped on another host: the host check is TarballURL's
		// and policy's (IsRegistryURL), which know the configured registries.
		{"other host, registry-shaped", "https://evil.example/a/-/a-1.0.0.tgz", lock.SourceRegistry},
		{"http scheme", "http://registry.npmjs.org/a/-/a-1.0.0.tgz", lock.SourceRegistry},
		{"userinfo", "https://user:pass@registry.npmjs.org/a/-/a-1.0.0.tgz", lock.SourceRemote},
		{"query", "https://registry.npmjs.org/a/-/a-1.0.0.tgz?x=1", lock.SourceRemote},
		{"fragment", "https://registry.npmjs.org/a/-/a-1.0.0.tgz#x", lock.SourceRemote},
		{"another package's tarball", "https://registry.npmjs.org/b/-/b-1.0.0.tgz", lock.SourceRemote},
		{"file tarball", "file:../../etc/a.tgz", lock.SourceFile},
		{"file absolute", "file:///etc/passwd", lock.SourceFile},
		{"git", "git+ssh://git@evil.example/a.git#abc", lock.SourceGit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Parse(lockJSON(`,"node_modules/a":{"version":"1.0.0","resolved":"` + tc.resolved + `",` + integ + `}`))
			if err != nil {
				t.Fatal(err)
			}
			if p := pkgAt(t, l, "node_modules/a"); p.Source != tc.want || p.Resolved != tc.resolved {
				t.Errorf("source %v, resolved %q; want %v, %q", p.Source, p.Resolved, tc.want, tc.resolved)
			}
		})
	}
}

// TestDeepNesting: a deeply nested value must be an error or be read, never
// a stack overflow; the splitter counts depth instead of recursing, and
// encoding/json stops at 10000 levels.
func TestDeepNesting(t *testing.T) {
	for _, depth := range []int{9000, 10001, 1 << 20} {
		nested := strings.Repeat("[", depth) + strings.Repeat("]", depth)
		data := lockJSON(`,"node_modules/a":{"version":"1.0.0","engines":` + nested + `,"bundleDependencies":` + nested + `}`)
		l, err := Parse(data)
		switch {
		case depth <= 10000 && err != nil:
			t.Errorf("depth %d: %v", depth, err)
		case depth <= 10000 && pkgAt(t, l, "node_modules/a").Engines != nil:
			t.Errorf("depth %d: a nested array read as engines", depth)
		case depth > 10000 && (!errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "exceeded max depth")):
			t.Errorf("depth %d: err = %v, want ErrSyntax naming the depth", depth, err)
		}
	}
	// A key at the limit's depth inside the packages map itself.
	deep := `{"lockfileVersion":3,"packages":{"":{"dependencies":` + strings.Repeat(`{"a":`, 20000) + `"1"` + strings.Repeat("}", 20000) + `}}}`
	if _, err := Parse([]byte(deep)); !errors.Is(err, ErrSyntax) {
		t.Errorf("nested objects: err = %v, want ErrSyntax", err)
	}
}

// TestRenamedEntriesNpmWrites: the renamed entries npm itself writes are
// not substitutions: an alias, an alias whose folder other packages also
// reach with plain ranges (react aliased to @preact/compat, peers of react
// asking "^18"), and a tarball URL dependency.
func TestRenamedEntriesNpmWrites(t *testing.T) {
	for name, data := range map[string]string{
		"alias": `{"lockfileVersion":3,"packages":{"":{"dependencies":{"my-ms":"npm:ms@^2"}},"node_modules/my-ms":{"name":"ms","version":"2.1.3"}}}`,
		"alias with plain-range peers": `{"lockfileVersion":3,"packages":{"":{"dependencies":{"react":"npm:@preact/compat@^17","ui":"1.0.0"}},` +
			`"node_modules/react":{"name":"@preact/compat","version":"17.1.2"},"node_modules/ui":{"version":"1.0.0","peerDependencies":{"react":"^18"}}}}`,
		"tarball URL dependency": `{"lockfileVersion":3,"packages":{"":{"dependencies":{"remote-ms":"https://registry.npmjs.org/ms/-/ms-2.1.1.tgz"}},` +
			`"node_modules/remote-ms":{"name":"ms","version":"2.1.1","resolved":"https://registry.npmjs.org/ms/-/ms-2.1.1.tgz"}}}`,
		"needed by nothing": `{"lockfileVersion":3,"packages":{"":{},"node_modules/x":{"name":"y","version":"1.0.0"}}}`,
	} {
		if _, err := Parse([]byte(data)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
