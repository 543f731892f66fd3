package yarnberry

import (
	"fmt"

	"github.com/airlock-dev/airlock/lock/yarnberry"
)

// Plan is the tree Install lays out for g, computed without touching the
// filesystem: every placement, for callers that need to know where each
// package goes (airlock audit, which looks at what is installed). Bins are
// not in it: they depend on the files the packages ship.
func Plan(g *yarnberry.Graph) (*Layout, error) {
	lay, _, err := buildLayout(g)
	if err != nil {
		return nil, fmt.Errorf("yarn install: %w", err)
	}
	return lay, nil
}
