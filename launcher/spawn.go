package launcher

import (
	"os"
	"os/signal"
	"time"
)

// spawnSpec is a child process to run and wait for.
type spawnSpec struct {
	path  string
	argv  []string
	env   []string
	dir   string
	stdio [3]*os.File
	// shutdown is how long the child may take to exit after the first forwarded terminating
	// signal before it is killed.
	shutdown time.Duration
}

// spawn runs the child, forwards SIGINT/SIGTERM/SIGHUP to it, kills it when it outlives the
// shutdown timeout after a forwarded signal, and returns its exit status (128+N when signal N
// killed it).
func spawn(s spawnSpec) (int, error) {
	sigs := make(chan os.Signal, 8)
	// Catch the signals before the child exists, so none arrives in between and kills the
	// launcher alone.
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	p, err := os.StartProcess(s.path, s.argv, &os.ProcAttr{Dir: s.dir, Env: s.env, Files: s.stdio[:]})
	if err != nil {
		return 0, err
	}
	type result struct {
		st  *os.ProcessState
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := p.Wait()
		done <- result{st, err}
	}()
	var deadline <-chan time.Time
	for {
		select {
		case sig := <-sigs:
			_ = forward(p, sig) // the child may be gone already; Wait reports what happened
			if deadline == nil {
				t := time.NewTimer(s.shutdown)
				defer t.Stop()
				deadline = t.C
			}
		case <-deadline:
			_ = p.Kill()
		case r := <-done:
			if r.err != nil {
				return 0, r.err
			}
			return exitStatus(r.st), nil
		}
	}
}
