package wheel

import (
	"fmt"
	"strconv"
	"strings"
)

// headers reads RFC 822 style "Key: value" headers as Python's email parser
// does for WHEEL and METADATA: up to the first blank line, continuation
// lines (starting with a space or tab) joined to the previous value, keys
// compared case-insensitively, the first of repeated keys winning (what
// Message.get returns).
func headers(data string) map[string]string {
	out := map[string]string{}
	var key string
	var val strings.Builder
	flush := func() {
		if key != "" {
			if _, dup := out[key]; !dup {
				out[key] = strings.TrimSpace(val.String())
			}
		}
		key = ""
		val.Reset()
	}
	for _, line := range strings.Split(strings.ReplaceAll(data, "\r\n", "\n"), "\n") {
		if line == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if key != "" {
				val.WriteString(" " + strings.TrimSpace(line))
			}
			continue
		}
		flush()
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key = strings.ToLower(strings.TrimSpace(k))
		val.WriteString(v)
	}
	flush()
	return out
}

// wheelInfo is what the WHEEL file says.
type wheelInfo struct {
	rootIsPurelib bool
}

// parseWheelFile checks WHEEL: Wheel-Version 1.x (pip refuses any other
// major version) and Root-Is-Purelib true or false (pip takes anything but
// "true" as false; airlock wants the field the spec requires).
func parseWheelFile(data string) (wheelInfo, error) {
	h := headers(data)
	v, ok := h["wheel-version"]
	if !ok {
		return wheelInfo{}, fmt.Errorf("%w: no Wheel-Version", ErrWheelFile)
	}
	parts := strings.Split(v, ".")
	for _, p := range parts {
		if _, err := strconv.Atoi(p); err != nil {
			return wheelInfo{}, fmt.Errorf("%w: Wheel-Version %q is not a version", ErrWheelFile, v)
		}
	}
	if n, _ := strconv.Atoi(parts[0]); n != 1 {
		return wheelInfo{}, fmt.Errorf("%w: Wheel-Version %s is not supported (only 1.x)", ErrWheelFile, v)
	}
	switch strings.ToLower(h["root-is-purelib"]) {
	case "true":
		return wheelInfo{rootIsPurelib: true}, nil
	case "false":
		return wheelInfo{}, nil
	}
	return wheelInfo{}, fmt.Errorf("%w: Root-Is-Purelib is %q, want true or false", ErrWheelFile, h["root-is-purelib"])
}
