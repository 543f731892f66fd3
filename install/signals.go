package install

import (
	"os"
	"os/signal"
	"syscall"
)

// heldSignals are the signals a user or init system sends to stop a
// process; while they are held a swap cannot be cut short.
var heldSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// holdSignals delays heldSignals until the returned function is called,
// which then re-raises the first one that arrived. Re-raising gives the
// signal its usual effect: the default action (exit) if nobody else listens,
// or delivery to the program's own handler (its context is then cancelled
// after the swap instead of during it).
func holdSignals() (release func()) {
	ch := make(chan os.Signal, len(heldSignals))
	signal.Notify(ch, heldSignals...)
	return func() {
		signal.Stop(ch)
		select {
		case sig := <-ch:
			if s, ok := sig.(syscall.Signal); ok {
				_ = syscall.Kill(os.Getpid(), s)
			}
		default:
		}
	}
}
