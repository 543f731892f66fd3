package sbom

import (
	"github.com/airlock-dev/airlock/lock"
	"github.com/airlock-dev/airlock/lock/pypi"
)

// PyPIInput lists every distribution a Python lock pins, whatever the
// interpreter (markers are not evaluated: the BOM describes the lock, not
// one environment). A distribution's hashes are those of every file the
// lock allows for it — requirements --hash values, or each locked wheel's
// and sdist's — since any of them may be what an environment installs.
// Python locks record no dependency graph airlock reads, so components
// have no dependsOn.
func PyPIInput(rootName string, lk *pypi.Lock) Input {
	in := Input{Root: Component{Ref: "project", Ecosystem: lock.PyPI, Name: rootName}}
	seen := map[string]bool{}
	for _, d := range lk.Dists {
		ref := d.NormalizedName() + "==" + d.Version
		if seen[ref] {
			continue // the same pin under two markers
		}
		seen[ref] = true
		var hashes []pypi.Hash
		hashes = append(hashes, d.Hashes...)
		for _, w := range d.Wheels {
			hashes = append(hashes, w.Hashes...)
		}
		if d.Sdist != nil {
			hashes = append(hashes, d.Sdist.Hashes...)
		}
		c := Component{Ref: ref, Ecosystem: lock.PyPI, Name: d.Name, Version: d.Version,
			Integrity: pypi.Integrity(dedupe(hashes)), Scope: ScopeRequired, Source: lock.SourceRegistry}
		in.Components = append(in.Components, c)
		if d.Requested {
			in.Root.DependsOn = append(in.Root.DependsOn, ref)
		}
	}
	return in
}

func dedupe(hs []pypi.Hash) []pypi.Hash {
	seen := map[pypi.Hash]bool{}
	var out []pypi.Hash
	for _, h := range hs {
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}
