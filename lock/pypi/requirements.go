package pypi

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxLockSize bounds every lockfile and included requirements file.
const MaxLockSize = 64 << 20

// MaxIncludeDepth bounds -r/-c nesting; cycles are refused at any depth.
const MaxIncludeDepth = 32

// ParseRequirements reads the requirements file name, and the files it
// includes, through read. Included names are joined to the including
// file's directory, as pip does. read must refuse what is not a regular
// file and stop at MaxLockSize bytes: a file that includes /dev/zero must
// not exhaust memory. ${VAR} references are left as written: use
// ParseRequirementsEnv to expand them in index URLs.
// See the package doc for the accepted syntax and every refusal. Errors are
// *LineError values wrapping the Err* values, or ErrInclude for a file
// that cannot be read.
func ParseRequirements(name string, read func(name string) ([]byte, error)) (*Lock, error) {
	return ParseRequirementsEnv(name, read, nil)
}

// ParseRequirementsEnv is ParseRequirements expanding ${NAME} references
// (NAME of A-Z, 0-9 and _) with getenv in the values of -i/--index-url and
// --extra-index-url, where projects put index credentials: a variable that
// is unset or empty leaves the reference as written, as in pip. Unlike pip,
// references elsewhere on a line are not expanded, so that no error message
// can carry a secret a hostile requirements file asked for. A nil getenv
// expands nothing.
func ParseRequirementsEnv(name string, read func(name string) ([]byte, error), getenv func(string) string) (*Lock, error) {
	p := &reqParser{read: read, getenv: getenv, lock: &Lock{Format: "requirements"}, root: filepath.Dir(filepath.Clean(name))}
	if err := p.parseFile(name, false, nil); err != nil {
		return nil, err
	}
	if err := checkPinConflicts(p.lock.Dists); err != nil {
		return nil, err
	}
	return p.lock, nil
}

type reqParser struct {
	read   func(string) ([]byte, error)
	getenv func(string) string
	lock   *Lock
	root   string // the top-level file's directory
}

// expand applies getenv to ${NAME} references.
func (p *reqParser) expand(s string) string {
	if p.getenv == nil {
		return s
	}
	return envVarRE.ReplaceAllStringFunc(s, func(ref string) string {
		if v := p.getenv(ref[2 : len(ref)-1]); v != "" {
			return v
		}
		return ref
	})
}

// inProject reports whether name lies in the top-level file's directory
// tree. Lines of other files are not quoted in errors: an include of
// /proc/self/environ or ~/.aws/credentials must not land in CI logs.
func (p *reqParser) inProject(name string) bool {
	rel, err := filepath.Rel(p.root, filepath.Clean(name))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// commentRE is pip's COMMENT_RE: "#" at the start or after whitespace.
var (
	commentRE = regexp.MustCompile(`(^|\s+)#.*$`)
	envVarRE  = regexp.MustCompile(`\$\{([A-Z0-9_]+)\}`)
)

// logicalLine is one line after pip's join_lines and ignore_comments.
type logicalLine struct {
	n    int
	text string
}

// splitLines is Python's str.splitlines, which pip uses: besides \n, \r\n
// and \r it breaks at \v, \f, \x1c-\x1e, \x85, U+2028 and U+2029.
func splitLines(s string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '\n', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			lines = append(lines, s[start:i])
			start = i + size
		case '\r':
			lines = append(lines, s[start:i])
			if i+1 < len(s) && s[i+1] == '\n' {
				size = 2
			}
			start = i + size
		}
		i += size
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	return lines
}

// preprocess is pip's preprocess: join_lines, ignore_comments,
// expand_env_variables, with line numbers of each logical line's first line.
func (p *reqParser) preprocess(content string) []logicalLine {
	var joined []logicalLine
	var cur []string
	first := 0
	for i, line := range splitLines(content) {
		n := i + 1
		isComment := commentRE.FindStringIndex(line) != nil && commentRE.FindStringIndex(line)[0] == 0
		if !strings.HasSuffix(line, `\`) || isComment {
			if isComment {
				line = " " + line
			}
			if cur != nil {
				cur = append(cur, line)
				joined = append(joined, logicalLine{first, strings.Join(cur, "")})
				cur = nil
			} else {
				joined = append(joined, logicalLine{n, line})
			}
			continue
		}
		if cur == nil {
			first = n
			cur = []string{}
		}
		cur = append(cur, strings.Trim(line, `\`))
	}
	if cur != nil {
		joined = append(joined, logicalLine{first, strings.Join(cur, "")})
	}
	var out []logicalLine
	for _, l := range joined {
		text := strings.TrimSpace(commentRE.ReplaceAllString(l.text, ""))
		if text == "" {
			continue
		}
		out = append(out, logicalLine{l.n, text})
	}
	return out
}

func (p *reqParser) parseFile(name string, constraint bool, stack []string) error {
	clean := filepath.Clean(name)
	if slices.Contains(stack, clean) {
		return fmt.Errorf("%w: %s includes itself (%s)", ErrInclude, clean, strings.Join(append(stack, clean), " -> "))
	}
	if len(stack) >= MaxIncludeDepth {
		return fmt.Errorf("%w: includes nested deeper than %d at %s", ErrInclude, MaxIncludeDepth, clean)
	}
	stack = append(stack, clean)
	data, err := p.read(name)
	if err != nil {
		return fmt.Errorf("%w: reading %s: %v", ErrInclude, name, err)
	}
	if len(data) > MaxLockSize {
		return fmt.Errorf("%s: %w (over %d bytes)", name, ErrTooLarge, MaxLockSize)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return fmt.Errorf("%s: %w: not UTF-8 text: save it as UTF-8", name, ErrSyntax)
	}
	for _, l := range p.preprocess(string(data)) {
		quoted := l.text
		if !p.inProject(name) {
			quoted = ""
		}
		lineErr := func(err error) error {
			if quoted == "" {
				// The error text itself may quote the line: keep only its kind.
				err = fmt.Errorf("%w (line not shown: %s is outside %s)", rootErr(err), name, p.root)
			}
			return &LineError{File: name, Line: l.n, Text: quoted, Err: err}
		}
		args, opts, err := splitArgsOptions(l.text)
		if err != nil {
			return lineErr(err)
		}
		if args == "" {
			include, includeConstraint, err := p.optionLine(opts)
			if err != nil {
				return lineErr(err)
			}
			if include == "" {
				continue
			}
			if strings.Contains(include, "://") || strings.HasPrefix(strings.ToLower(include), "file:") {
				return lineErr(fmt.Errorf("%w: including %q over a URL: download it and include the local copy", ErrUnsupported, include))
			}
			path := include
			if !filepath.IsAbs(path) {
				path = filepath.Join(filepath.Dir(name), path)
			}
			if err := p.parseFile(path, includeConstraint, stack); err != nil {
				var le *LineError
				if errors.As(err, &le) || !errors.Is(err, ErrInclude) {
					return err
				}
				return lineErr(err)
			}
			continue
		}
		d, err := parseRequirementLine(args, opts, constraint)
		if err != nil {
			return lineErr(err)
		}
		d.Source = fmt.Sprintf("%s:%d", name, l.n)
		if constraint {
			p.lock.constraints = append(p.lock.constraints, d)
		} else {
			p.lock.Dists = append(p.lock.Dists, d.Dist)
		}
	}
	return nil
}

// splitArgsOptions is pip's break_args_options followed by shlex.split of
// the options: the requirement is every space-separated token before the
// first one starting with "-".
func splitArgsOptions(line string) (string, []string, error) {
	tokens := strings.Split(line, " ")
	i := 0
	for i < len(tokens) && !strings.HasPrefix(tokens[i], "-") {
		i++
	}
	args := strings.TrimSpace(strings.Join(tokens[:i], " "))
	opts, err := shlexSplit(strings.Join(tokens[i:], " "))
	if err != nil {
		return "", nil, err
	}
	return args, opts, nil
}

// shlexSplit is Python's shlex.split in POSIX mode (quotes, backslash
// escapes; no comments, since pip already removed them).
func shlexSplit(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\\':
			inWord = true
			if i+1 >= len(s) {
				return nil, fmt.Errorf("%w: options end in a backslash", ErrSyntax)
			}
			i++
			cur.WriteByte(s[i])
		case c == '\'':
			inWord = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("%w: unterminated ' in options", ErrSyntax)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			inWord = true
			for i++; ; i++ {
				if i >= len(s) {
					return nil, fmt.Errorf("%w: unterminated \" in options", ErrSyntax)
				}
				if s[i] == '"' {
					break
				}
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\\\"$`\n", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
		default:
			inWord = true
			cur.WriteByte(c)
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}

// option is one parsed command-line style option.
type option struct{ name, value string }

// optionArity lists the options pip's requirements files accept and
// whether each takes a value; long names only, short ones map to them.
var optionArity = map[string]bool{
	"--index-url": true, "--extra-index-url": true, "--no-index": false,
	"--constraint": true, "--requirement": true, "--editable": true,
	"--find-links": true, "--no-binary": true, "--only-binary": true,
	"--prefer-binary": false, "--require-hashes": false, "--pre": false,
	"--trusted-host": true, "--use-feature": true,
	"--global-option": true, "--hash": true, "--config-settings": true,
}

var shortOptions = map[byte]string{
	'i': "--index-url", 'c': "--constraint", 'r': "--requirement",
	'e': "--editable", 'f': "--find-links", 'C': "--config-settings",
}

// parseOptions reads optparse-style options: "--name=value", "--name
// value", "-x value", "-xvalue". Abbreviated long options, which optparse
// would accept, are refused so that every option is spelled as documented.
func parseOptions(args []string) ([]option, error) {
	var out []option
	for i := 0; i < len(args); i++ {
		a := args[i]
		var name, value string
		hasValue := false
		switch {
		case strings.HasPrefix(a, "--"):
			name, value, hasValue = strings.Cut(a, "=")
		case strings.HasPrefix(a, "-") && len(a) >= 2:
			long, ok := shortOptions[a[1]]
			if !ok {
				return nil, fmt.Errorf("%w: %q", ErrUnknownOption, a)
			}
			name = long
			if len(a) > 2 {
				value, hasValue = a[2:], true
			}
		default:
			return nil, fmt.Errorf("%w: %q after the options: put the requirement first", ErrSyntax, a)
		}
		takesValue, known := optionArity[name]
		if !known {
			return nil, fmt.Errorf("%w: %q (airlock reads -r, -c, -i/--index-url, --extra-index-url, --no-index and --hash)", ErrUnknownOption, name)
		}
		switch {
		case takesValue && !hasValue:
			if i+1 >= len(args) {
				return nil, fmt.Errorf("%w: %s needs a value", ErrSyntax, name)
			}
			i++
			value = args[i]
		case !takesValue && hasValue:
			return nil, fmt.Errorf("%w: %s takes no value", ErrSyntax, name)
		}
		out = append(out, option{name, value})
	}
	return out, nil
}

// optionLine applies a line holding only options and returns the file it
// includes, if any.
func (p *reqParser) optionLine(args []string) (include string, constraint bool, err error) {
	opts, err := parseOptions(args)
	if err != nil {
		return "", false, err
	}
	for _, o := range opts {
		switch o.name {
		case "--requirement", "--constraint":
			// pip follows only the first include of a line, and only when
			// the line has no requirement; a second one would be dropped.
			if include != "" {
				return "", false, fmt.Errorf("%w: one -r or -c per line", ErrSyntax)
			}
			include, constraint = o.value, o.name == "--constraint"
		case "--index-url":
			if !p.lock.NoIndex {
				p.lock.IndexURL = p.expand(o.value)
			}
		case "--extra-index-url":
			if !p.lock.NoIndex {
				p.lock.ExtraIndexURLs = append(p.lock.ExtraIndexURLs, p.expand(o.value))
			}
		case "--no-index":
			p.lock.NoIndex = true
			p.lock.IndexURL, p.lock.ExtraIndexURLs = "", nil
		case "--require-hashes", "--pre", "--prefer-binary":
			// Moot: airlock always requires hashes, every version is pinned
			// with == (pre-releases included), and only wheels install.
		case "--only-binary":
			// Moot for the same reason: wheels are all airlock installs.
		case "--hash":
			return "", false, fmt.Errorf("%w: --hash without a requirement on the same logical line (missing a trailing backslash?)", ErrSyntax)
		case "--editable":
			return "", false, fmt.Errorf("%w: editable requirement -e %s: airlock installs wheels from an index only; install it with pip", ErrUnsupported, o.value)
		case "--find-links":
			return "", false, fmt.Errorf("%w: --find-links %s: airlock looks files up only on the index (-i, --extra-index-url); serve the files from an index", ErrUnsupported, o.value)
		case "--no-binary":
			return "", false, fmt.Errorf("%w: --no-binary %s asks for source builds, which run package code: airlock installs wheels only", ErrUnsupported, o.value)
		case "--trusted-host":
			return "", false, fmt.Errorf("%w: --trusted-host %s would turn off TLS verification for that host: airlock always verifies TLS (give it the CA instead)", ErrUnsupported, o.value)
		case "--global-option", "--config-settings":
			return "", false, fmt.Errorf("%w: %s only affects source builds, which airlock never runs: remove it", ErrUnsupported, o.name)
		default: // --use-feature
			return "", false, fmt.Errorf("%w: %s %s", ErrUnknownOption, o.name, o.value)
		}
	}
	return include, constraint, nil
}

// reqLine is a parsed requirement or constraint line.
type reqLine struct {
	Dist
	specs Specifiers // constraints: the clauses; requirements: the pin
}

// pep508Req matches name, extras, specifiers and marker of a named
// requirement (the URL form is refused before this is used).
var (
	pep508Name   = regexp.MustCompile(`^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*`)
	pep508Extras = regexp.MustCompile(`^\[\s*([^\]]*)\]\s*`)
	archiveExts  = []string{".zip", ".whl", ".tbz", ".tar.bz2", ".tar.bz", ".tbz2", ".tar", ".tar.gz", ".tgz", ".txz", ".tlz", ".tar.lz", ".tar.lzma", ".tar.xz"}
	vcsPrefixes  = []string{"git+", "hg+", "svn+", "bzr+", "git:", "file:", "http:", "https:"}
)

func parseRequirementLine(args string, rawOpts []string, constraint bool) (reqLine, error) {
	opts, err := parseOptions(rawOpts)
	if err != nil {
		return reqLine{}, err
	}
	var hashes []Hash
	for _, o := range opts {
		switch o.name {
		case "--hash":
			h, err := ParseHash(o.value)
			if err != nil {
				return reqLine{}, err
			}
			if !slices.Contains(hashes, h) {
				hashes = append(hashes, h)
			}
		case "--global-option", "--config-settings":
			return reqLine{}, fmt.Errorf("%w: %s only affects source builds, which airlock never runs: remove it", ErrUnsupported, o.name)
		default:
			// pip ignores file-wide options after a requirement; a reader
			// would not, so say it.
			return reqLine{}, fmt.Errorf("%w: %s on a requirement line: only --hash may follow a requirement; put %s on its own line", ErrUnknownOption, o.name, o.name)
		}
	}
	spec, marker, _ := strings.Cut(args, ";")
	lower := strings.ToLower(strings.TrimSpace(spec))
	for _, p := range vcsPrefixes {
		if strings.HasPrefix(lower, p) {
			return reqLine{}, fmt.Errorf("%w: %q is a URL or VCS requirement: airlock installs pinned registry wheels only (name==version --hash=...)", ErrUnsupported, strings.TrimSpace(spec))
		}
	}
	if strings.Contains(spec, "@") || strings.Contains(spec, "://") {
		return reqLine{}, fmt.Errorf("%w: %q is a direct reference (name @ URL): airlock installs registry wheels looked up on the index, even when the URL has a #sha256= fragment", ErrUnsupported, strings.TrimSpace(spec))
	}
	if strings.ContainsAny(spec, `/\`) || strings.HasPrefix(lower, ".") || hasArchiveExt(lower) {
		return reqLine{}, fmt.Errorf("%w: %q is a local path: airlock installs registry wheels only", ErrUnsupported, strings.TrimSpace(spec))
	}
	m := pep508Name.FindStringSubmatch(spec)
	if m == nil {
		return reqLine{}, fmt.Errorf("%w: %q does not start with a project name", ErrSyntax, strings.TrimSpace(spec))
	}
	d := reqLine{Dist: Dist{Name: m[1], Requested: !constraint}}
	rest := spec[len(m[0]):]
	if em := pep508Extras.FindStringSubmatch(rest); em != nil {
		for _, e := range strings.Split(em[1], ",") {
			e = strings.TrimSpace(e)
			if e == "" && strings.TrimSpace(em[1]) == "" {
				break
			}
			if !validName.MatchString(e) {
				return reqLine{}, fmt.Errorf("%w: extra %q is not a valid name", ErrSyntax, e)
			}
			d.Extras = append(d.Extras, e)
		}
		rest = rest[len(em[0]):]
		if constraint && len(d.Extras) > 0 {
			return reqLine{}, fmt.Errorf("%w: constraints cannot have extras (pip refuses them too)", ErrSyntax)
		}
	}
	rest = strings.TrimSpace(rest)
	if strings.HasPrefix(rest, "(") && strings.HasSuffix(rest, ")") {
		rest = strings.TrimSpace(rest[1 : len(rest)-1])
	}
	specs, err := ParseSpecifiers(rest)
	if err != nil {
		return reqLine{}, err
	}
	d.specs = specs
	if marker = strings.TrimSpace(marker); marker != "" {
		if _, err := ParseMarker(marker); err != nil {
			return reqLine{}, err
		}
		d.Marker = marker
	}
	d.Hashes = hashes
	if constraint {
		return d, nil
	}
	if len(specs) != 1 || (specs[0].Op != "==" && specs[0].Op != "===") || specs[0].Wildcard {
		return reqLine{}, fmt.Errorf("%w: %s must be pinned to one version (%s==1.2.3): hash checking needs to know the exact file", ErrUnpinned, d.Name, d.Name)
	}
	d.Version = specs[0].Version
	d.Arbitrary = specs[0].Op == "==="
	if len(hashes) == 0 {
		return reqLine{}, fmt.Errorf("%w: %s==%s has no --hash=sha256:<digest>: every requirement needs the hashes of its files", ErrNoHash, d.Name, d.Version)
	}
	return d, nil
}

func hasArchiveExt(s string) bool {
	for _, e := range archiveExts {
		if strings.HasSuffix(s, e) {
			return true
		}
	}
	return false
}

// checkPinConflicts refuses, at parse time, two requirements of one project
// that would both apply in every environment (same marker) but pin
// different versions. Those with different markers are checked by Select
// once the markers are evaluated.
func checkPinConflicts(dists []Dist) error {
	type key struct{ name, marker string }
	seen := map[key]Dist{}
	for _, d := range dists {
		k := key{d.NormalizedName(), d.Marker}
		if prev, ok := seen[k]; ok && !sameVersion(prev, d) {
			return fmt.Errorf("%w: %s is pinned to %s at %s and to %s at %s: keep one", ErrConflict, d.Name, prev.Version, prev.Source, d.Version, d.Source)
		}
		seen[k] = d
	}
	return nil
}

// sameVersion reports whether two pins name the same version.
func sameVersion(a, b Dist) bool {
	if a.Arbitrary || b.Arbitrary {
		return a.Arbitrary == b.Arbitrary && strings.EqualFold(a.Version, b.Version)
	}
	va, errA := ParseVersion(a.Version)
	vb, errB := ParseVersion(b.Version)
	return errA == nil && errB == nil && va.Compare(vb) == 0
}

// VersionMatches reports whether a file's version (from its wheel or sdist
// filename) is the one d pins: PEP 440 equality for ==, so 1.0 matches
// 1.0.0 and a local label on the file is ignored unless the pin has one;
// case-insensitive string equality for ===.
func (d Dist) VersionMatches(version string) bool {
	if d.Arbitrary {
		return strings.EqualFold(strings.TrimSpace(version), d.Version)
	}
	spec, err := ParseSpecifier("==" + d.Version)
	if err != nil {
		return false
	}
	v, err := ParseVersion(version)
	return err == nil && spec.Contains(v)
}

// rootErr returns the Err* value err wraps, or a generic syntax error.
func rootErr(err error) error {
	for _, e := range []error{ErrSyntax, ErrUnpinned, ErrNoHash, ErrBadHash, ErrUnsupported, ErrUnknownOption,
		ErrConflict, ErrInclude, ErrBadMarker, ErrBadVersion, ErrTooLarge} {
		if errors.Is(err, e) {
			return e
		}
	}
	return ErrSyntax
}
