package main

import (
	"fmt"
	"io"
	"os"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch/cache"
)

func cacheCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || args[0] != "path" {
		fmt.Fprintln(stderr, "usage: airlock cache path")
		return exitUsage
	}
	cwd, _ := os.Getwd()
	cfg, err := config.Load("", cwd, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "airlock: %v\n", err)
		return exitUsage
	}
	dir := cfg.CacheDir
	if dir == "" {
		dir = cache.DefaultDir(os.Getenv)
	}
	fmt.Fprintln(stdout, dir)
	return exitOK
}
