package npm

import (
	"encoding/json"
	"path"
	"strings"
)

// normalizeBin turns a "bin" field into command → file, the way
// npm-normalize-package-bin does: a string names the package's unscoped
// name, a list uses each file's base name, command names lose any directory
// part, targets are cleaned so they cannot climb out of the package, and
// entries left empty are dropped. Like npm, it ignores a bin of any other
// JSON type.
func normalizeBin(raw json.RawMessage, name string) map[string]string {
	if isNull(raw) {
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s == "" || name == "" {
			return nil // falsy bin, or nothing to name the command after
		}
		return cleanBins([][2]string{{name, s}})
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		var kv [][2]string
		for _, f := range list {
			kv = append(kv, [2]string{jsBasename(f), f})
		}
		return cleanBins(kv)
	}
	obj, ok, err := decodeObject(raw)
	if err != nil || !ok {
		return nil
	}
	var kv [][2]string
	for _, k := range obj.keys {
		var target string
		if json.Unmarshal(obj.values[k], &target) != nil {
			continue // npm drops non-string targets
		}
		kv = append(kv, [2]string{k, target})
	}
	return cleanBins(kv)
}

func cleanBins(kv [][2]string) map[string]string {
	out := map[string]string{}
	for _, e := range kv {
		key := strings.NewReplacer(`\`, "/", ":", "/").Replace(e[0])
		key = strings.TrimPrefix(path.Join("/", jsBasename(key)), "/")
		target := strings.TrimPrefix(path.Join("/", strings.ReplaceAll(e[1], `\`, "/")), "/")
		if key == "" || target == "" {
			continue
		}
		out[key] = target
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// jsBasename is node's path.basename: trailing slashes are ignored and ""
// stays "" (Go's path.Base would return ".").
func jsBasename(p string) string {
	p = strings.TrimRight(p, "/")
	if p == "" {
		return ""
	}
	return p[strings.LastIndexByte(p, '/')+1:]
}
