// Package plugin runs third-party analyzers compiled to WebAssembly (WASI
// preview 1) with wazero, with nothing but a read-only view of one package.
//
// # Plugin ABI, version 1
//
// A plugin is a WASI command module (it exports _start; Go builds one with
// GOOS=wasip1 GOARCH=wasm). For each package airlock instantiates it afresh
// with:
//
//   - the package's files mounted read-only at /package (the only directory
//     the plugin can see; symlinks cannot lead out of it);
//   - on stdin, one JSON object:
//     {"abi":1,"package":{"name":"…","version":"…","install_path":"…"},"files":["index.js",…]}
//     where files are the package's regular files, slash-separated, sorted;
//   - no environment variables, no arguments but the plugin's name, no
//     network (WASI preview 1 has no sockets), a fixed clock.
//
// It answers on stdout with one JSON object and exits 0:
//
//	{"findings":[{"rule":"…","severity":"note|warning|error","file":"…","line":0,"message":"…"}]}
//
// Anything else is a plugin failure, reported with what it wrote on stderr.
//
// Limits: memory (Limits.MemoryPages of 64 KiB), wall time (Limits.Timeout;
// the module is closed when it runs out), and output (Limits.MaxOutput bytes
// of stdout, 64 KiB of stderr kept). A plugin that breaks any of them is
// stopped and reported; it cannot affect the install beyond its findings.
package plugin
