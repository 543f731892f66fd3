package analyze

import (
	"bufio"
	"bytes"
	"strings"
)

// Pth checks a .pth file a wheel installs at the top of site-packages.
// Path lines only extend sys.path; lines starting with "import" are executed
// by every interpreter start-up (site.py), which is what makes them worth a
// finding of their own.
func Pth(in Input, file string, content []byte) []Finding {
	sc := bufio.NewScanner(bytes.NewReader(content))
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(t, "import ") || strings.HasPrefix(t, "import\t") {
			return []Finding{newFinding("AL007", in, file, line, "runs code at every Python start-up: %q", clip(t))}
		}
	}
	return []Finding{withSeverity(newFinding("AL007", in, file, 0, "adds entries to sys.path at every Python start-up"), Note)}
}

func withSeverity(f Finding, s Severity) Finding {
	f.Severity = s
	return f
}
