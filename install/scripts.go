package install

import (
	"encoding/json"
	"os"
	"path/filepath"
)

// HasInstallScript reads an extracted package's package.json the way
// npm's, pnpm's and yarn 2+'s script runners decide whether it builds: a
// preinstall, install or postinstall script, or a binding.gyp (node-gyp
// rebuild is the default install script then). A package.json that cannot
// be read or parsed declares nothing.
func HasInstallScript(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return false
	}
	var m struct {
		Scripts map[string]any `json:"scripts"`
	}
	if json.Unmarshal(data, &m) != nil {
		return false
	}
	for _, k := range []string{"preinstall", "install", "postinstall"} {
		if v, ok := m.Scripts[k].(string); ok && v != "" {
			return true
		}
	}
	_, err = os.Lstat(filepath.Join(dir, "binding.gyp"))
	return err == nil
}
