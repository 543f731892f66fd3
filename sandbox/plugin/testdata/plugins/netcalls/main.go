// Command netcalls is the example airlock analyzer plugin (ABI 1, see
// sandbox/plugin): it reports JavaScript files that load Node's network
// modules, so a reviewer can see which packages talk to the network.
//
//	GOOS=wasip1 GOARCH=wasm go build -o netcalls.wasm ./sandbox/plugin/testdata/plugins/netcalls
package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path"
	"regexp"
	"strings"
)

type request struct {
	ABI     int `json:"abi"`
	Package struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"package"`
	Files []string `json:"files"`
}

type finding struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Message  string `json:"message"`
}

var netRequire = regexp.MustCompile(`require\(\s*['"](node:)?(http|https|net|dgram|tls|dns)['"]\s*\)`)

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil || req.ABI != 1 {
		os.Stderr.WriteString("netcalls: bad request\n")
		os.Exit(2)
	}
	findings := []finding{}
	for _, f := range req.Files {
		if ext := path.Ext(f); ext != ".js" && ext != ".cjs" && ext != ".mjs" {
			continue
		}
		file, err := os.Open("/package/" + f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(file)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for line := 1; sc.Scan(); line++ {
			if m := netRequire.FindStringSubmatch(sc.Text()); m != nil {
				findings = append(findings, finding{Rule: "NET001", Severity: "note", File: f, Line: line,
					Message: "loads Node's " + strings.TrimPrefix(m[2], "node:") + " module"})
				break
			}
		}
		file.Close()
	}
	json.NewEncoder(os.Stdout).Encode(map[string]any{"findings": findings})
}
