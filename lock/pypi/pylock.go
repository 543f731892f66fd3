package pypi

// ParsePylock reads a pylock.toml (PEP 751). See the package doc.
func ParsePylock(data []byte) (*Lock, error) { return nil, errNotYet }
