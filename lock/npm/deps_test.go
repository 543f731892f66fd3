package npm

import (
	"reflect"
	"testing"
)

func TestDependencies(t *testing.T) {
	l, err := Parse([]byte(`{"lockfileVersion":3,"packages":{
		"":{"name":"root","dependencies":{"a":"^1","gone":"^1"},"devDependencies":{"b":"^1"}},
		"node_modules/a":{"version":"1.0.0","resolved":"https://registry.npmjs.org/a/-/a-1.0.0.tgz","integrity":"sha512-AAAA","dependencies":{"b":"^2"}},
		"node_modules/a/node_modules/b":{"version":"2.0.0","resolved":"https://registry.npmjs.org/b/-/b-2.0.0.tgz","integrity":"sha512-AAAA"},
		"node_modules/b":{"version":"1.0.0","dev":true,"resolved":"https://registry.npmjs.org/b/-/b-1.0.0.tgz","integrity":"sha512-AAAA","dependencies":{"a":"^1"}}
	}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := l.Dependencies()
	want := map[string][]string{
		"":                              {"node_modules/a", "node_modules/b"},
		"node_modules/a":                {"node_modules/a/node_modules/b"},
		"node_modules/a/node_modules/b": nil,
		"node_modules/b":                {"node_modules/a"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Dependencies() = %v, want %v", got, want)
	}
}
