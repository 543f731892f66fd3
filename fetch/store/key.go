package store

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// KeySize is the length of the MAC key in bytes.
const KeySize = 32

// DefaultKeyPath returns where the store's MAC key lives unless configured:
// $XDG_STATE_HOME/airlock/store.key (the XDG spec says to ignore a relative
// XDG_STATE_HOME), else $HOME/.local/state/airlock/store.key; "" when
// neither is set. It is state, not cache: deleting the cache must not
// delete it, and restoring a cache must not bring one.
func DefaultKeyPath(getenv func(string) string) string {
	if x := getenv("XDG_STATE_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "airlock", "store.key")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "state", "airlock", "store.key")
	}
	return ""
}

// ErrKeyInCache is returned by LoadKey for a key path inside the cache: a
// key that whoever writes the cache can read or replace authenticates
// nothing.
var ErrKeyInCache = errors.New("store key inside the cache directory")

// LoadKey reads the MAC key at path, creating it (and its directory, 0700)
// with a fresh random key on first use. A key that other users may read or
// write, that airlock's user does not own, or that is not a regular file is
// refused: anyone who can read it can forge manifests. cacheDir is the
// cache the store lives in; a key below it is refused (ErrKeyInCache).
func LoadKey(path, cacheDir string) ([]byte, error) {
	if path == "" {
		return nil, errors.New("store: no key path; set XDG_STATE_HOME or HOME, or [cache] store_key")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store key %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("store key: %w", err)
	}
	if inside(abs, cacheDir) {
		return nil, fmt.Errorf("%w: %s is below %s; keep the key outside the cache (the default is $XDG_STATE_HOME/airlock/store.key)", ErrKeyInCache, abs, cacheDir)
	}
	key, err := readKey(abs)
	if errors.Is(err, os.ErrNotExist) {
		if err := createKey(abs); err != nil {
			return nil, fmt.Errorf("store key: creating %s: %w", abs, err)
		}
		key, err = readKey(abs)
	}
	if err != nil {
		return nil, fmt.Errorf("store key %s: %w", abs, err)
	}
	return key, nil
}

// inside reports whether path lies in dir, comparing the directories'
// real locations so that a symlink cannot hide the key inside the cache.
func inside(path, dir string) bool {
	if dir == "" {
		return false
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		realDir = dir
	}
	realParent, err := filepath.EvalSymlinks(filepath.Dir(path))
	if err != nil {
		realParent = filepath.Dir(path)
	}
	rel, err := filepath.Rel(realDir, filepath.Join(realParent, filepath.Base(path)))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func readKey(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, errors.New("is a symbolic link; the key must be a regular file")
		}
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return nil, fmt.Errorf("belongs to uid %d, not to airlock's user (uid %d); remove it and a new key is made", st.Uid, os.Geteuid())
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("mode %#o lets other users read or write it; run chmod 600 %s", fi.Mode().Perm(), path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 4*KeySize))
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(string(bytes.TrimSpace(data)))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("not a store key (want %d hex digits); remove it and a new key is made", 2*KeySize)
	}
	return key, nil
}

// createKey writes a new key to a temporary file and links it to path, so
// that of two processes creating it at once one wins and both read the
// winner's key.
func createKey(path string) error {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".store.key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return nil
}
