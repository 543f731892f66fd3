package npm

// Dependencies returns, for the root ("") and every entry, the locations
// its dependencies resolve to the way node would load them, in npm's edge
// order. A dependency on a link resolves to the link's location (its
// target is listed under the link's Resolved); one that resolves to no
// entry (an absent optional or peer dependency) is left out. SBOMs and
// lockfile diffs use it as the dependency graph the lockfile records.
func (l *Lockfile) Dependencies() map[string][]string {
	deps := make(map[string][]string, len(l.order))
	for _, n := range l.order {
		var to []string
		for _, name := range n.outOrder {
			if e := n.out[name]; e.to != nil && e.to != n {
				to = append(to, e.to.path)
			}
		}
		deps[n.path] = to
	}
	return deps
}
