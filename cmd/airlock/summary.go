package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	installnpm "github.com/airlock-dev/airlock/install/npm"
	"github.com/airlock-dev/airlock/lock"
	locknpm "github.com/airlock-dev/airlock/lock/npm"
)

// summarize turns an install into the final event and the human lines.
func summarize(sel *locknpm.Selection, res *installnpm.Result, st *installStats, took time.Duration) (event, []string) {
	var scripts []string
	for _, p := range sel.Install {
		if p.HasInstallScript && p.Source != lock.SourceLink {
			scripts = append(scripts, p.Name+"@"+p.Version)
		}
	}
	sort.Strings(scripts)
	e := event{
		Packages:       res.Packages + res.Bundled,
		FromCache:      int(st.fromCache.Load()),
		Downloaded:     int(st.downloaded.Load()),
		Refetched:      int(st.refetched.Load()),
		Vendored:       int(st.vendored.Load()),
		Bytes:          st.bytes.Load(),
		Links:          res.Links,
		Bins:           res.Bins,
		Skipped:        len(sel.Skipped),
		Seconds:        took.Seconds(),
		InstallScripts: scripts,
	}
	lines := []string{fmt.Sprintf("added %d packages (%s verified: %d downloaded, %d from cache) in %s",
		e.Packages, humanBytes(e.Bytes), e.Downloaded, e.FromCache, took.Round(10*time.Millisecond))}
	lines = append(lines, vendoredLine(e.Vendored)...)
	if e.Refetched > 0 {
		lines = append(lines, fmt.Sprintf("replaced %d corrupt cache entries (see the warnings above)", e.Refetched))
	}
	if e.Skipped > 0 {
		lines = append(lines, fmt.Sprintf("skipped %d packages (omitted, extraneous or not for this platform; --json lists them)", e.Skipped))
	}
	if len(scripts) > 0 {
		lines = append(lines, fmt.Sprintf("%d packages declare install scripts, which airlock did not run: %s", len(scripts), strings.Join(scripts, ", ")),
			"  airlock runs only the scripts you allow, sandboxed: review the package, then list it in airlock.toml's [scripts] allow or pass --allow-scripts=NAME")
	}
	return e, lines
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
