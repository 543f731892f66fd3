package install

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

const (
	// StateDir is airlock's directory in the project root, holding the lock
	// file and the staging areas. It never becomes part of an installed tree.
	StateDir = ".airlock"
	// LockFile is the name of the lock file inside StateDir.
	LockFile = "lock"
	// stagingPrefix starts the name of every staging area inside StateDir.
	stagingPrefix = "staging-"
	// keptPrefix starts the name of a staging area kept after a failed
	// Commit because it holds previous trees that could not be put back.
	// airlock never deletes these.
	keptPrefix = "kept-"
	// DefaultLockWait is how long Begin waits for another airlock process
	// that holds the project lock before giving up: long enough to ride out
	// the tail of a concurrent install, short enough not to look hung.
	DefaultLockWait = 10 * time.Second
	// lockPoll is how often a waiting Begin retries the lock.
	lockPoll = 100 * time.Millisecond
	// dirMode is the mode for every directory created for a tree; the
	// kernel applies the process umask, as npm's mkdir does.
	dirMode = 0o777
	// privateMode keeps the staging area itself closed to other users
	// while trees are assembled in it.
	privateMode = 0o700
)

// Options configure Begin.
type Options struct {
	// LockWait bounds the wait for another process's project lock.
	// Zero means DefaultLockWait; negative means do not wait at all.
	LockWait time.Duration
	// OnLockWait, if set, is called once, from Begin, when another process
	// holds the project lock and Begin starts waiting for it (never when
	// LockWait is negative), so a command can say why it is paused. holder
	// is that process's ID as recorded in the lock file, or "" when it is
	// not known.
	OnLockWait func(holder string)
}

// Staging is one install transaction on one project. Its methods are safe
// for concurrent use.
type Staging struct {
	project   string // absolute project directory
	root      string // absolute staging area
	projectFD int    // the project directory (O_PATH): every lookup below it is strict
	stageFD   int    // the staging area (O_PATH)
	lock      *projectLock

	mu        sync.Mutex
	targets   map[string]string // target (slash path, project-relative) → staged dir
	done      bool
	nextScrat int
	// keep is set when a failed Commit could not put every previous tree
	// back: the staging area, renamed out of removeStale's way, holds them.
	keep bool
}

// Begin takes the project lock, removes staging areas left by dead
// processes and creates a fresh staging area.
func Begin(ctx context.Context, projectDir string, opts Options) (*Staging, error) {
	project, err := filepath.Abs(projectDir)
	if err != nil {
		return nil, fmt.Errorf("install: project directory %s: %w", projectDir, err)
	}
	st, err := os.Stat(project)
	if err != nil {
		return nil, fmt.Errorf("install: project directory: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("install: project directory %s is not a directory", project)
	}
	state := filepath.Join(project, StateDir)
	if err := ensureStateDir(state); err != nil {
		return nil, err
	}
	wait := opts.LockWait
	if wait == 0 {
		wait = DefaultLockWait
	}
	lk, err := acquireLock(ctx, filepath.Join(state, LockFile), wait, opts.OnLockWait)
	if err != nil {
		return nil, err
	}
	if err := removeStale(state); err != nil {
		lk.release()
		return nil, err
	}
	root, err := newStagingDir(state)
	if err != nil {
		lk.release()
		return nil, err
	}
	s := &Staging{project: project, root: root, lock: lk, projectFD: -1, stageFD: -1, targets: map[string]string{}}
	// The project directory itself may be reached through symlinks (the
	// user named it); nothing below it is.
	if s.projectFD, err = unix.Open(project, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
		s.finish()
		return nil, fmt.Errorf("install: opening project directory: %w", &os.PathError{Op: "open", Path: project, Err: err})
	}
	rel := StateDir + "/" + filepath.Base(root)
	if s.stageFD, err = openBeneath(s.projectFD, rel, unix.O_PATH|unix.O_DIRECTORY); err != nil {
		s.finish()
		return nil, fmt.Errorf("install: %w", s.explain("open", rel, err))
	}
	return s, nil
}

// ensureStateDir creates StateDir with a .gitignore that hides it from git.
func ensureStateDir(state string) error {
	if err := os.Mkdir(state, dirMode); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("install: creating %s: %w%s", state, err, writableHint(err))
	}
	st, err := os.Lstat(state)
	if err != nil {
		return fmt.Errorf("install: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("install: %s exists and is not a directory; remove it so airlock can keep its lock and staging area there", state)
	}
	gi := filepath.Join(state, ".gitignore")
	if _, err := os.Lstat(gi); errors.Is(err, fs.ErrNotExist) {
		// Best effort: a missing .gitignore only makes git status noisier.
		_ = os.WriteFile(gi, []byte("# Created by airlock: its lock and staging area, never committed.\n*\n"), 0o666)
	}
	return nil
}

// removeStale deletes staging areas of earlier runs. The caller holds the
// lock, so no live process owns any of them.
func removeStale(state string) error {
	ents, err := os.ReadDir(state)
	if err != nil {
		return fmt.Errorf("install: reading %s: %w", state, err)
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), stagingPrefix) {
			continue
		}
		p := filepath.Join(state, e.Name())
		if err := removeAll(p); err != nil {
			return fmt.Errorf("install: removing stale staging area %s left by an interrupted install: %w; delete it by hand", p, err)
		}
	}
	return nil
}

func newStagingDir(state string) (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("install: %w", err)
	}
	root := filepath.Join(state, stagingPrefix+hex.EncodeToString(b[:]))
	if err := os.Mkdir(root, privateMode); err != nil {
		return "", fmt.Errorf("install: creating staging area: %w%s", err, writableHint(err))
	}
	return root, nil
}

// Root is the staging area's absolute path. Everything under it is private
// to this transaction and deleted by Commit or Abort.
func (s *Staging) Root() string { return s.root }

// Project is the absolute project directory.
func (s *Staging) Project() string { return s.project }

// Dir registers target, a slash-separated path relative to the project
// (e.g. "node_modules" or "packages/a/node_modules"), and returns the
// absolute path of a new empty directory in which to build its replacement.
// Asking again for the same target returns the same directory.
func (s *Staging) Dir(target string) (string, error) {
	d, err := s.register(target, false)
	if err != nil {
		return "", err
	}
	// Asking again returns the directory made the first time.
	if err := os.Mkdir(d, dirMode); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("install: %w", err)
	}
	return d, nil
}

// RootDir is Dir's directory as a slash path relative to Root, for
// installers that build the trees through an os.Root opened on Root.
func (s *Staging) RootDir(target string) (string, error) {
	d, err := s.Dir(target)
	if err != nil {
		return "", err
	}
	return s.Rel(d)
}

// Rel returns p, an absolute path inside the staging area (from Dir or
// Scratch), as a slash path relative to Root.
func (s *Staging) Rel(p string) (string, error) {
	rel, err := filepath.Rel(s.root, p)
	if err != nil {
		return "", fmt.Errorf("install: %w", err)
	}
	return filepath.ToSlash(rel), nil
}

// Path registers target like Dir but creates nothing: it returns the
// absolute path at which the caller creates the replacement, which may be a
// regular file, a symlink or a directory (a script in a bin directory, a
// module file in site-packages). Commit fails if nothing is there by then.
func (s *Staging) Path(target string) (string, error) {
	return s.register(target, false)
}

// Remove registers target for removal: Commit moves it, whatever it is,
// into the staging area (deleted with it), and puts it back if a later swap
// fails, so a removal is undone like an exchange. A target that does not
// exist at Commit is left absent.
func (s *Staging) Remove(target string) error {
	_, err := s.register(target, true)
	return err
}

// register records target, checking it against the others. A removal is
// recorded with an empty staged path.
func (s *Staging) register(target string, remove bool) (string, error) {
	clean, err := checkTarget(target)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return "", ErrFinished
	}
	if d, ok := s.targets[clean]; ok {
		if (d == "") != remove {
			return "", fmt.Errorf("install: target %q is both staged and removed", clean)
		}
		return d, nil
	}
	for t := range s.targets {
		if strings.HasPrefix(clean+"/", t+"/") || strings.HasPrefix(t+"/", clean+"/") {
			return "", fmt.Errorf("install: staged targets %q and %q overlap; stage only the outer one", t, clean)
		}
	}
	d := ""
	if !remove {
		d = filepath.Join(s.root, fmt.Sprintf("t%d", len(s.targets)))
	}
	s.targets[clean] = d
	return d, nil
}

// Scratch returns a new empty private directory in the staging area, on the
// same filesystem as the staged trees, for work that is later renamed into
// one of them.
func (s *Staging) Scratch() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return "", ErrFinished
	}
	d := filepath.Join(s.root, fmt.Sprintf("s%d", s.nextScrat))
	s.nextScrat++
	if err := os.Mkdir(d, dirMode); err != nil {
		return "", fmt.Errorf("install: %w", err)
	}
	return d, nil
}

// checkTarget accepts project-relative slash paths that stay inside the
// project and are not the project itself or airlock's own directory.
func checkTarget(target string) (string, error) {
	clean := path.Clean(target)
	bad := target == "" || path.IsAbs(target) || clean == "." || clean == ".." ||
		strings.HasPrefix(clean, "../") || strings.ContainsRune(target, '\\') ||
		strings.ContainsRune(target, 0) || clean == StateDir || strings.HasPrefix(clean, StateDir+"/")
	if bad {
		return "", fmt.Errorf("install: %w: %q", ErrBadTarget, target)
	}
	return clean, nil
}

// Commit swaps every staged directory into place, then deletes the replaced
// trees and releases the lock. On error, no target has changed, except in
// one case: a swap failed and putting back the targets already swapped
// failed too. The error then wraps ErrNotRestored and says which targets
// hold their new tree (or are missing) and where each previous tree was
// kept: the staging area is renamed to .airlock/kept-* instead of being
// deleted, so that no later run removes it.
//
// Once the swaps have succeeded the install has happened, whatever follows:
// a problem removing the replaced trees afterwards does not fail Commit but
// is returned as a warning (the next run removes what is left).
func (s *Staging) Commit() (warnings []string, err error) {
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		return nil, ErrFinished
	}
	s.done = true
	targets := make([]string, 0, len(s.targets))
	for t := range s.targets {
		targets = append(targets, t)
	}
	s.mu.Unlock()
	// Deterministic order: parents' node_modules before workspaces'.
	sort.Strings(targets)

	err = func() error {
		slots, err := s.preflight(targets)
		defer func() {
			for _, sl := range slots {
				unix.Close(sl.parent)
			}
		}()
		if err != nil {
			return err
		}
		release := holdSignals()
		defer release()
		return s.swapAll(slots)
	}()
	cleanErr := s.finish()
	if err != nil {
		return nil, err
	}
	if cleanErr != nil {
		// The new trees are in place; only garbage is left.
		warnings = append(warnings, fmt.Sprintf("install: the new trees are in place, but %v; the next airlock run in this project removes it", cleanErr))
	}
	return warnings, nil
}

// slot is one target ready to be swapped: its parent directory, opened
// beneath the project without following any symlink, and its name there.
type slot struct {
	target string // project-relative slash path
	parent int    // descriptor of the target's parent directory
	name   string // the target's last element
	staged string // the staged tree's name in the staging area; "" to remove the target
}

// preflight catches what would make a swap fail half way, or happen
// anywhere but in a real directory inside the project: a missing parent
// directory, a symlink on the way to a target, or a target on another
// filesystem than the staging area. The slots it returns hold their parent
// open; the caller closes them, also on error.
func (s *Staging) preflight(targets []string) ([]slot, error) {
	stageDev, err := deviceOf(s.stageFD)
	if err != nil {
		return nil, fmt.Errorf("install: %w", &os.PathError{Op: "stat", Path: s.root, Err: err})
	}
	var slots []slot
	for _, t := range targets {
		parent, name := path.Split(t)
		parent = path.Clean(parent)
		fd, err := s.openDir(parent)
		if err != nil {
			return slots, fmt.Errorf("install: cannot install %s: %w", t, err)
		}
		staged := ""
		if s.targets[t] != "" {
			staged = filepath.Base(s.targets[t])
		}
		slots = append(slots, slot{target: t, parent: fd, name: name, staged: staged})
		dev, err := deviceOf(fd)
		if err != nil {
			return slots, fmt.Errorf("install: cannot install %s: %w", t, err)
		}
		if dev != stageDev {
			return slots, fmt.Errorf("install: %w: %s is on another filesystem than %s; airlock stages trees beside the project so it can swap them in atomically", ErrCrossDevice, filepath.Join(s.project, filepath.FromSlash(parent)), s.root)
		}
	}
	return slots, nil
}

// swapAll moves each staged tree into place, undoing the earlier swaps if a
// later one fails.
func (s *Staging) swapAll(slots []slot) error {
	var done []swapped
	for i, sl := range slots {
		aside := entry{s.stageFD, "old-" + fmt.Sprint(len(done))}
		var sw swapped
		var err error
		if sl.staged == "" {
			sw, err = moveOut(entry{sl.parent, sl.name}, aside)
		} else {
			sw, err = swapIn(entry{s.stageFD, sl.staged}, entry{sl.parent, sl.name}, aside, sl.target)
		}
		if err != nil {
			return s.rollback(slots, done, i, err)
		}
		done = append(done, sw)
	}
	return nil
}

// rollback undoes done, the swaps of slots[:len(done)], after slots[failed]
// could not be swapped in (cause). When every target is as it was, the
// error is cause's alone; otherwise every failure is joined with a
// statement of which target is in which state and where the previous trees
// are.
func (s *Staging) rollback(slots []slot, done []swapped, failed int, cause error) error {
	first := fmt.Errorf("install: swapping in %s: %w", slots[failed].target, cause)
	type stuckTarget struct {
		target string
		err    *stuckError
	}
	var stuck []stuckTarget
	var restored, untouched []string
	if se := (*stuckError)(nil); errors.As(cause, &se) {
		stuck = append(stuck, stuckTarget{slots[failed].target, se})
	} else {
		untouched = append(untouched, slots[failed].target)
	}
	for _, sl := range slots[failed+1:] {
		untouched = append(untouched, sl.target)
	}
	for i := len(done) - 1; i >= 0; i-- {
		err := done[i].undo()
		if err == nil {
			restored = append(restored, slots[i].target)
			continue
		}
		se := &stuckError{err: err}
		errors.As(err, &se)
		stuck = append(stuck, stuckTarget{slots[i].target, se})
	}
	if len(stuck) == 0 {
		return first
	}

	// The staging area holds previous trees now: rename it where no
	// removeStale (of this run's finish or a later Begin) looks.
	s.keep = true
	where := s.root
	kept := filepath.Join(filepath.Dir(s.root), keptPrefix+strings.TrimPrefix(filepath.Base(s.root), stagingPrefix))
	keepErr := os.Rename(s.root, kept)
	if keepErr == nil {
		where = kept
	}

	errs := []error{first, fmt.Errorf("install: %w:", ErrNotRestored)}
	for _, st := range stuck {
		state := st.target + " holds the new tree"
		if st.err.missing {
			state = st.target + " is missing"
		}
		if st.err.old != "" {
			state += "; its previous tree is kept at " + filepath.Join(where, st.err.old) + ": move it back by hand"
		} else {
			state += " (it did not exist before)"
		}
		if st.target == slots[failed].target {
			errs = append(errs, errors.New("install: "+state))
		} else {
			errs = append(errs, fmt.Errorf("install: putting back %s failed: %w; %s", st.target, st.err.err, state))
		}
	}
	if keepErr != nil {
		errs = append(errs, fmt.Errorf("install: the staging area %s, which holds the previous trees, could not be renamed out of airlock's way (%w): move it elsewhere before running airlock again, which deletes it", s.root, keepErr))
	}
	if len(restored) > 0 {
		errs = append(errs, errors.New("install: put back as they were: "+strings.Join(restored, ", ")))
	}
	if len(untouched) > 0 {
		errs = append(errs, errors.New("install: never changed: "+strings.Join(untouched, ", ")))
	}
	return errors.Join(errs...)
}

// finish removes the staging area (with the replaced trees) and releases
// the lock.
func (s *Staging) finish() error {
	s.mu.Lock()
	for _, fd := range []*int{&s.stageFD, &s.projectFD} {
		if *fd >= 0 {
			unix.Close(*fd)
			*fd = -1
		}
	}
	s.mu.Unlock()
	var err error
	if !s.keep {
		err = removeTree(s.root)
	}
	s.lock.release()
	if err != nil {
		return fmt.Errorf("removing staging area %s: %w", s.root, err)
	}
	return nil
}

// Abort removes the staging area and releases the lock, leaving every
// target as it was. It is a no-op after Commit or an earlier Abort, so it
// can always be deferred.
func (s *Staging) Abort() error {
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		return nil
	}
	s.done = true
	s.mu.Unlock()
	if err := s.finish(); err != nil {
		return fmt.Errorf("install: %w", err)
	}
	return nil
}

// removeTree is removeAll, a variable so tests can make cleanup fail.
var removeTree = removeAll

// removeAll deletes a tree even where a package made a directory
// unwritable (a tarball may say 0o555), which os.RemoveAll cannot.
func removeAll(p string) error {
	err := os.RemoveAll(p)
	if err == nil {
		return nil
	}
	// Make every directory writable and try again.
	_ = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(q, 0o700)
		}
		return nil
	})
	return os.RemoveAll(p)
}

// writableHint says what to do when the project directory cannot be written
// at all; other errors speak for themselves.
func writableHint(err error) string {
	if errors.Is(err, unix.EROFS) || errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
		return "; airlock builds the new tree inside the project, so the project directory must be writable by you"
	}
	return ""
}
