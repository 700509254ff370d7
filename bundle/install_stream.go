package bundle

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/flavor-dev/flavor/lock"
)

// groupStream is the merged tar of a group of one package, made by another goroutine while the
// packer reads it. The merge's checks all still run (a path the artifact holds twice, differently,
// is a conflict), only later: an error reaches the packer as a read error, which fails the
// package before it is written.
type groupStream struct {
	pr   *io.PipeReader
	done chan struct{}
}

// streamGroup starts merging g for system.
func streamGroup(ctx context.Context, g lock.Group, system string) *groupStream {
	pr, pw := io.Pipe()
	s := &groupStream{pr: pr, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		// Headers are 512-byte writes: gather them, so the reader is woken per chunk, not per write.
		bw := bufio.NewWriterSize(pw, 256<<10)
		err := writeGroup(ctx, bw, g)
		if err == nil {
			err = bw.Flush()
		}
		if err != nil {
			err = fmt.Errorf("merging pkg-group %s for %s: %w", g.Name, system, err)
		}
		pw.CloseWithError(err)
	}()
	return s
}

func (s *groupStream) Read(p []byte) (int, error) { return s.pr.Read(p) }

// Close stops the merge if it is still running and waits for it to end (so the artifact is
// closed when Close returns).
func (s *groupStream) Close() error {
	s.pr.Close()
	<-s.done
	return nil
}
