// Command hostile is a misbehaving analyzer plugin for sandbox/plugin's
// tests; what it does depends on the package name it is given.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

var sink [][]byte

func main() {
	var req struct {
		Package struct{ Name string } `json:"package"`
	}
	json.NewDecoder(os.Stdin).Decode(&req)
	switch req.Package.Name {
	case "loop":
		for i := 0; ; i++ {
			if i < 0 {
				break
			}
		}
	case "alloc":
		for {
			sink = append(sink, make([]byte, 16<<20))
		}
	case "escape":
		// Try to read outside the package view; report what worked.
		var got []string
		for _, p := range []string{"/etc/passwd", "/package/../../etc/passwd", "/package/link/passwd", "/root/.npmrc", "../etc/passwd"} {
			if b, err := os.ReadFile(p); err == nil && len(b) > 0 {
				got = append(got, p)
			}
		}
		if len(os.Environ()) > 0 {
			got = append(got, "env:"+strings.Join(os.Environ(), ","))
		}
		sev := "note"
		if len(got) > 0 {
			sev = "error"
		}
		json.NewEncoder(os.Stdout).Encode(map[string]any{"findings": []map[string]any{{"rule": "ESC", "severity": sev, "message": fmt.Sprintf("read: %v", got)}}})
	case "flood":
		for {
			os.Stdout.Write(make([]byte, 1<<16))
		}
	case "garbage":
		fmt.Println("this is not json")
	case "badpath":
		fmt.Println(`{"findings":[{"severity":"error","file":"../../etc/passwd","message":"x"}]}`)
	case "crash":
		fmt.Fprintln(os.Stderr, "something went wrong")
		os.Exit(4)
	default:
		fmt.Println(`{"findings":[]}`)
	}
}
