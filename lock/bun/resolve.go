package bun

// keyTrie indexes the package keys by their segments, so that resolving a
// dependency costs the depth of its dependent, not the length of every
// ancestor key: joining prefix strings for each lookup made a lockfile
// of deep keys and many dependencies take hours (a 1.3 MB bun.lock with
// 1,000 nested keys and 20,000 optional dependencies did not finish in
// five minutes).
type keyTrie struct {
	children map[string]*keyTrie
	entry    *Entry
}

func (lf *Lockfile) keyTrie() *keyTrie {
	root := &keyTrie{}
	for _, k := range lf.Keys {
		e := lf.Entries[k]
		n := root
		for _, seg := range e.Segments {
			c := n.children[seg]
			if c == nil {
				if n.children == nil {
					n.children = map[string]*keyTrie{}
				}
				c = &keyTrie{}
				n.children[seg] = c
			}
			n = c
		}
		n.entry = e
	}
	return root
}

// resolve is bun's lookup of dependency name from the package whose key
// is made of prefix: the key prefix + "/" + name if there is one, else
// the same from each ancestor of prefix, up to the top-level name.
func (t *keyTrie) resolve(prefix []string, name string) *Entry {
	path := make([]*keyTrie, 1, len(prefix)+1)
	path[0] = t
	for _, seg := range prefix {
		c := path[len(path)-1].children[seg]
		if c == nil {
			break // no deeper key exists, so none below it either
		}
		path = append(path, c)
	}
	for i := len(path) - 1; i >= 0; i-- {
		if c := path[i].children[name]; c != nil && c.entry != nil {
			return c.entry
		}
	}
	return nil
}
