package pnpm

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// How pnpm 9 and 10 apply a patchedDependencies patch (@pnpm/patching.apply-patch,
// which runs @pnpm/patch-package's parser and applier in the package's
// directory), and what airlock does differently:
//
//   - The patch is git's format: "diff --git a/P b/P" per file, with
//     "new file mode", "deleted file mode", "old mode"/"new mode",
//     "rename from"/"rename to", "index" lines, then "@@" hunks; a hunk's
//     counts must add up.
//   - A new file is written from its one hunk's lines (joined by "\n",
//     with a final "\n" unless "\ No newline at end of file"), mode 0o644
//     or 0o755 from the header less the umask. A deleted file is removed
//     without comparing its content; a rename moves the file.
//   - A changed file is split on "\n"; each hunk's context and deleted
//     lines must match, and pnpm tries the hunk at up to 20 lines above
//     and below its stated position, comparing lines without trailing
//     white space. airlock applies a hunk only at its stated position and
//     only to lines that match exactly, so it refuses what pnpm would
//     apply with fuzz and otherwise writes the same bytes: the package's
//     files are pinned by the lockfile's integrity, so the patch pnpm made
//     from them matches exactly.
//   - Refused too: binary patches, symlinks (mode 120000), modes other
//     than 100644/100755, and paths that are absolute, contain "..", or
//     lead through a symlink (pnpm refuses paths leaving the directory).
//   - Files are replaced, never written in place, so a file that is a hard
//     link to a shared store keeps the store's bytes.

// ErrPatch: a patch airlock will not apply, or that does not apply.
var ErrPatch = errors.New("cannot apply patch")

type hunkPart struct {
	kind      byte // ' ', '-', '+'
	lines     []string
	noNewline bool
}

type hunk struct {
	origStart, origLen, newStart, newLen int
	parts                                []hunkPart
}

type filePatch struct {
	diffFrom, diffTo   string
	oldMode, newMode   string
	deletedMode, added string
	renameFrom         string
	renameTo           string
	hunks              []hunk
	binary             bool
}

var (
	diffLineRe   = regexp.MustCompile(`^diff --git a/(.*?) b/(.*?)\s*$`)
	hunkHeaderRe = regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@`)
)

// parseHunkHeader reads "@@ -start,len +start,len @@" (a missing length
// is 1), or returns nil.
func parseHunkHeader(line string) *hunk {
	m := hunkHeaderRe.FindStringSubmatch(line)
	if m == nil {
		return nil
	}
	num := func(s string) int {
		if s == "" {
			return 1
		}
		n, _ := strconv.Atoi(s)
		return n
	}
	return &hunk{origStart: num(m[1]), origLen: num(m[2]), newStart: num(m[3]), newLen: num(m[4])}
}

// parsePatch reads a git-style patch as @pnpm/patch-package's
// parsePatchLines does (without its legacy, diff-less format).
func parsePatch(text string) ([]filePatch, error) {
	lines := strings.Split(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	var files []filePatch
	var cur *filePatch
	var h *hunk
	inHunks := false
	commitHunk := func() {
		if h != nil {
			cur.hunks = append(cur.hunks, *h)
			h = nil
		}
	}
	for i, line := range lines {
		bad := func(why string) error { return fmt.Errorf("%w: line %d: %s", ErrPatch, i+1, why) }
		if inHunks {
			if line == "" || strings.IndexByte("@-+ \\\r", line[0]) >= 0 {
				kind := byte(' ')
				if line != "" && line[0] != '\r' {
					kind = line[0]
				}
				switch kind {
				case '@':
					commitHunk()
					if h = parseHunkHeader(line); h == nil {
						return nil, bad("malformed hunk header")
					}
				case '\\':
					if !strings.HasPrefix(line, `\ No newline at end of file`) || h == nil || len(h.parts) == 0 {
						return nil, bad("unexpected " + line)
					}
					h.parts[len(h.parts)-1].noNewline = true
				default:
					if h == nil {
						return nil, bad("hunk lines before a hunk header")
					}
					text := ""
					if line != "" {
						text = line[1:]
					}
					if n := len(h.parts); n > 0 && h.parts[n-1].kind == kind {
						h.parts[n-1].lines = append(h.parts[n-1].lines, text)
					} else {
						h.parts = append(h.parts, hunkPart{kind: kind, lines: []string{text}})
					}
				}
				continue
			}
			commitHunk()
			inHunks = false
		}
		switch {
		case strings.HasPrefix(line, "@@"):
			if cur == nil {
				return nil, bad("a hunk before any diff --git line")
			}
			inHunks = true
			if h = parseHunkHeader(line); h == nil {
				return nil, bad("malformed hunk header")
			}
		case strings.HasPrefix(line, "diff --git "):
			m := diffLineRe.FindStringSubmatch(line)
			if m == nil {
				return nil, bad("malformed diff --git line")
			}
			files = append(files, filePatch{diffFrom: m[1], diffTo: m[2]})
			cur = &files[len(files)-1]
		case cur == nil:
			// Text before the first file (a commit message) is ignored.
		case strings.HasPrefix(line, "old mode "):
			cur.oldMode = strings.TrimSpace(line[len("old mode "):])
		case strings.HasPrefix(line, "new mode "):
			cur.newMode = strings.TrimSpace(line[len("new mode "):])
		case strings.HasPrefix(line, "deleted file mode "):
			cur.deletedMode = strings.TrimSpace(line[len("deleted file mode "):])
		case strings.HasPrefix(line, "new file mode "):
			cur.added = strings.TrimSpace(line[len("new file mode "):])
		case strings.HasPrefix(line, "rename from "):
			cur.renameFrom = strings.TrimSpace(line[len("rename from "):])
		case strings.HasPrefix(line, "rename to "):
			cur.renameTo = strings.TrimSpace(line[len("rename to "):])
		case strings.HasPrefix(line, "GIT binary patch"), strings.HasPrefix(line, "Binary files "):
			cur.binary = true
		}
	}
	commitHunk()
	for _, f := range files {
		for _, h := range f.hunks {
			orig, patched := 0, 0
			for _, p := range h.parts {
				if p.kind != '+' {
					orig += len(p.lines)
				}
				if p.kind != '-' {
					patched += len(p.lines)
				}
			}
			if orig != h.origLen || patched != h.newLen {
				return nil, fmt.Errorf("%w: %s: a hunk's line counts do not match its header", ErrPatch, f.diffTo)
			}
		}
	}
	return files, nil
}

// fileMode is patch-package's parseFileMode, refusing symlinks.
func fileMode(s string) (fs.FileMode, error) {
	switch s {
	case "100644":
		return 0o644, nil
	case "100755":
		return 0o755, nil
	}
	return 0, fmt.Errorf("%w: file mode %q (airlock patches regular files only)", ErrPatch, s)
}

// cleanPatchPath accepts a clean relative path inside the package.
func cleanPatchPath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00") || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") {
		return fmt.Errorf("%w: path %q leaves the package", ErrPatch, p)
	}
	return nil
}

// applyPatch applies a patch to the package in dir with patch-package's
// effects, strictly (see above); umask applies to the modes of new files.
func applyPatch(dir string, text string, umask fs.FileMode) error {
	files, err := parsePatch(text)
	if err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, f := range files {
		if f.binary {
			return fmt.Errorf("%w: %s: binary patch", ErrPatch, f.diffTo)
		}
		for _, p := range []string{f.diffFrom, f.diffTo, f.renameFrom, f.renameTo} {
			if p != "" {
				if err := cleanPatchPath(p); err != nil {
					return err
				}
			}
		}
		dest := ""
		switch {
		case f.renameFrom != "":
			if f.renameTo == "" {
				return fmt.Errorf("%w: rename from %s without rename to", ErrPatch, f.renameFrom)
			}
			if err := regularFile(root, f.renameFrom); err != nil {
				return err
			}
			if _, err := root.Lstat(f.renameTo); err == nil {
				return fmt.Errorf("%w: rename to %s, which exists", ErrPatch, f.renameTo)
			}
			if err := root.MkdirAll(path.Dir(f.renameTo), dirMode); err != nil {
				return err
			}
			if err := root.Rename(f.renameFrom, f.renameTo); err != nil {
				return fmt.Errorf("%w: %v", ErrPatch, err)
			}
			dest = f.renameTo
		case f.deletedMode != "":
			if _, err := fileMode(f.deletedMode); err != nil {
				return err
			}
			if err := regularFile(root, f.diffFrom); err != nil {
				return err
			}
			if err := root.Remove(f.diffFrom); err != nil {
				return fmt.Errorf("%w: %v", ErrPatch, err)
			}
			continue
		case f.added != "":
			mode, err := fileMode(f.added)
			if err != nil {
				return err
			}
			if _, err := root.Lstat(f.diffTo); err == nil {
				return fmt.Errorf("%w: %s: a new file that already exists", ErrPatch, f.diffTo)
			}
			var content string
			if len(f.hunks) > 0 && len(f.hunks[0].parts) > 0 {
				p := f.hunks[0].parts[0]
				content = strings.Join(p.lines, "\n")
				if !p.noNewline {
					content += "\n"
				}
			}
			if err := root.MkdirAll(path.Dir(f.diffTo), dirMode); err != nil {
				return err
			}
			if err := replaceFile(root, f.diffTo, content, mode&^umask); err != nil {
				return err
			}
			continue
		default:
			dest = f.diffTo
		}
		if f.oldMode != "" && f.newMode != "" && f.oldMode != f.newMode {
			mode, err := fileMode(f.newMode)
			if err != nil {
				return err
			}
			if err := regularFile(root, dest); err != nil {
				return err
			}
			data, err := root.ReadFile(dest)
			if err != nil {
				return err
			}
			// chmodSync: the new mode exactly, whatever the umask.
			if err := replaceFile(root, dest, string(data), mode); err != nil {
				return err
			}
		}
		if len(f.hunks) > 0 {
			if err := patchFile(root, dest, f.hunks); err != nil {
				return err
			}
		}
	}
	return nil
}

// regularFile refuses a missing file, a symlink or anything not regular.
func regularFile(root *os.Root, name string) error {
	fi, err := root.Lstat(name)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPatch, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is not a regular file", ErrPatch, name)
	}
	return nil
}

// patchFile applies hunks to name at their stated positions, as
// patch-package's applyPatch does when no fuzz is needed.
func patchFile(root *os.Root, name string, hunks []hunk) error {
	if err := regularFile(root, name); err != nil {
		return err
	}
	fi, err := root.Lstat(name)
	if err != nil {
		return err
	}
	data, err := root.ReadFile(name)
	if err != nil {
		return err
	}
	lines := strings.Split(string(data), "\n")
	type mod struct {
		kind   byte // 's' splice, 'p' pop, 'u' push
		hunk   int
		index  int
		del    int
		insert []string
	}
	var mods []mod
	for hi, h := range hunks {
		at := h.origStart - 1
		if at < 0 || len(lines)-at < h.origLen {
			return fmt.Errorf("%w: %s: hunk %d does not fit the file", ErrPatch, name, hi+1)
		}
		for _, p := range h.parts {
			switch p.kind {
			case ' ', '-':
				for _, l := range p.lines {
					if lines[at] != l {
						return fmt.Errorf("%w: %s: hunk %d does not match line %d exactly (airlock applies patches without fuzz)", ErrPatch, name, hi+1, at+1)
					}
					at++
				}
				if p.kind == '-' {
					mods = append(mods, mod{kind: 's', hunk: hi, index: at - len(p.lines), del: len(p.lines)})
					if p.noNewline {
						mods = append(mods, mod{kind: 'u'})
					}
				}
			case '+':
				mods = append(mods, mod{kind: 's', hunk: hi, index: at, insert: p.lines})
				if p.noNewline {
					mods = append(mods, mod{kind: 'p'})
				}
			}
		}
	}
	// patch-package splices the modifications into the array of lines
	// one after another, which costs the file's length per hunk: a patch
	// of many hunks on a long file would take hours. The same result is
	// built in one pass: the array is always out (finished), then
	// lines[pos:end] (not yet reached), then pushed (lines appended by
	// pushes). Each splice must start at or after the end of out: one
	// that reaches back is a hunk overlapping or preceding the hunk before
	// it, which git never writes and patch-package would misapply (or,
	// here, index out of range).
	var out, pushed []string
	pos, end, offset := 0, len(lines), 0
	for _, m := range mods {
		switch m.kind {
		case 's':
			j := pos + m.index + offset - len(out)
			if j < pos || j+m.del > end {
				return fmt.Errorf("%w: %s: hunk %d overlaps or precedes the hunk before it", ErrPatch, name, m.hunk+1)
			}
			out = append(append(out, lines[pos:j]...), m.insert...)
			pos = j + m.del
			offset += len(m.insert) - m.del
		case 'p':
			switch {
			case len(pushed) > 0:
				pushed = pushed[:len(pushed)-1]
			case end > pos:
				end--
			case len(out) > 0:
				out = out[:len(out)-1]
			default:
				return fmt.Errorf("%w: %s: \\ No newline at end of file after the file's last line was removed", ErrPatch, name)
			}
		case 'u':
			pushed = append(pushed, "")
		}
	}
	out = append(append(out, lines[pos:end]...), pushed...)
	return replaceFile(root, name, strings.Join(out, "\n"), fi.Mode().Perm())
}

// replaceFile writes content to a new file beside name and renames it over
// name, so that a hard link's other names keep their bytes.
func replaceFile(root *os.Root, name, content string, mode fs.FileMode) error {
	tmp := path.Join(path.Dir(name), ".airlock-patch-"+path.Base(name))
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		root.Remove(tmp)
		return err
	}
	// OpenFile's mode is subject to the umask; set it exactly.
	if err := f.Chmod(mode); err != nil {
		f.Close()
		root.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		root.Remove(tmp)
		return err
	}
	if err := root.Rename(tmp, name); err != nil {
		root.Remove(tmp)
		return err
	}
	return nil
}
