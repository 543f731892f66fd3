package npm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/lock"
)

// flatPackages is n top-level registry packages and a fake Extract that
// writes one small file per package after calling wait.
func flatPackages(n int, wait func()) ([]lock.Package, func(context.Context, lock.Package, string) error) {
	pkgs := make([]lock.Package, n)
	for i := range pkgs {
		name := fmt.Sprintf("p%04d", i)
		pkgs[i] = reg("node_modules/"+name, name)
	}
	extract := func(ctx context.Context, pkg lock.Package, dir string) error {
		wait()
		return os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"`+pkg.Name+`","version":"1.0.0"}`), 0o666)
	}
	return pkgs, extract
}

// TestDefaultConcurrency checks that without Options.Concurrency at least 16
// extractions run at once (downloads wait on the network, whatever the
// number of cores), and never more than the default.
func TestDefaultConcurrency(t *testing.T) {
	want := defaultConcurrency()
	if want < 16 {
		t.Fatalf("defaultConcurrency() = %d, want at least 16", want)
	}
	var (
		mu       sync.Mutex
		inFlight int
		peak     int
		reached  = make(chan struct{})
		once     sync.Once
		// One deadline for all, so that a failing run ends in seconds.
		deadline = time.Now().Add(10 * time.Second)
	)
	pkgs, extract := flatPackages(3*want, func() {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		if inFlight == want {
			once.Do(func() { close(reached) })
		}
		mu.Unlock()
		// Every extraction waits until the default number run at once;
		// with a smaller limit none would ever get there.
		select {
		case <-reached:
		case <-time.After(time.Until(deadline)):
		}
		mu.Lock()
		inFlight--
		mu.Unlock()
	})
	project := newProject(t, map[string]string{"package.json": "{}"})
	if _, err := Install(context.Background(), Options{ProjectDir: project, Packages: pkgs, Extract: extract}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reached:
	default:
		t.Fatalf("at most %d extractions ran at once; want %d", peak, want)
	}
	if peak > want {
		t.Errorf("%d extractions ran at once; the default limit is %d", peak, want)
	}
}

// BenchmarkInstallNetworkLatency installs 300 packages whose extraction
// waits 3 ms first, as a download on an open HTTP/2 connection does, with
// the old default concurrency of 4 and the current default.
func BenchmarkInstallNetworkLatency(b *testing.B) {
	for _, c := range []int{4, 0} {
		name := fmt.Sprintf("concurrency=%d", c)
		if c == 0 {
			name = fmt.Sprintf("default=%d", defaultConcurrency())
		}
		b.Run(name, func(b *testing.B) {
			var calls atomic.Int64
			pkgs, extract := flatPackages(300, func() {
				calls.Add(1)
				time.Sleep(3 * time.Millisecond)
			})
			project := b.TempDir()
			if err := os.WriteFile(filepath.Join(project, "package.json"), []byte("{}"), 0o666); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := Install(context.Background(), Options{ProjectDir: project, Packages: pkgs, Extract: extract, Concurrency: c}); err != nil {
					b.Fatal(err)
				}
			}
			if calls.Load() == 0 {
				b.Fatal("nothing extracted")
			}
		})
	}
}
