//go:build race

package plugin

import "github.com/tetratelabs/wazero"

func init() { newRuntimeConfig = wazero.NewRuntimeConfigInterpreter }
