package yarnberry

// omap is a JavaScript Map with string keys: iteration follows insertion
// order, setting an existing key keeps its place, and an iteration in
// progress sees entries added after it started and skips those deleted.
// The hoister's decisions depend on these orders, so they are reproduced
// exactly.
type omap[V any] struct {
	keys  []string
	vals  []V
	live  []bool
	index map[string]int
}

func newOmap[V any]() *omap[V] { return &omap[V]{index: map[string]int{}} }

func (m *omap[V]) get(k string) (V, bool) {
	if i, ok := m.index[k]; ok {
		return m.vals[i], true
	}
	var zero V
	return zero, false
}

func (m *omap[V]) has(k string) bool { _, ok := m.index[k]; return ok }

func (m *omap[V]) set(k string, v V) {
	if i, ok := m.index[k]; ok {
		m.vals[i] = v
		return
	}
	m.index[k] = len(m.keys)
	m.keys = append(m.keys, k)
	m.vals = append(m.vals, v)
	m.live = append(m.live, true)
}

func (m *omap[V]) del(k string) {
	if i, ok := m.index[k]; ok {
		m.live[i] = false
		delete(m.index, k)
	}
}

func (m *omap[V]) size() int { return len(m.index) }

// each calls f for every entry, live, in order; f returning false stops.
func (m *omap[V]) each(f func(k string, v V) bool) {
	for i := 0; i < len(m.keys); i++ {
		if m.live[i] && !f(m.keys[i], m.vals[i]) {
			return
		}
	}
}

func (m *omap[V]) clone() *omap[V] {
	c := newOmap[V]()
	m.each(func(k string, v V) bool { c.set(k, v); return true })
	return c
}

// oset is a JavaScript Set of pointers or strings, in insertion order.
type oset[T comparable] struct {
	items []T
	live  []bool
	index map[T]int
}

func newOset[T comparable](items ...T) *oset[T] {
	s := &oset[T]{index: map[T]int{}}
	for _, it := range items {
		s.add(it)
	}
	return s
}

func (s *oset[T]) has(x T) bool { _, ok := s.index[x]; return ok }

func (s *oset[T]) add(x T) {
	if _, ok := s.index[x]; ok {
		return
	}
	s.index[x] = len(s.items)
	s.items = append(s.items, x)
	s.live = append(s.live, true)
}

func (s *oset[T]) del(x T) {
	if i, ok := s.index[x]; ok {
		s.live[i] = false
		delete(s.index, x)
	}
}

func (s *oset[T]) size() int { return len(s.index) }

func (s *oset[T]) each(f func(x T) bool) {
	for i := 0; i < len(s.items); i++ {
		if s.live[i] && !f(s.items[i]) {
			return
		}
	}
}

func (s *oset[T]) list() []T {
	var out []T
	s.each(func(x T) bool { out = append(out, x); return true })
	return out
}

func (s *oset[T]) clone() *oset[T] { return newOset(s.list()...) }
