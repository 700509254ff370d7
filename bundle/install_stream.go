package bundle

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/flavor-dev/flavor/lock"
)

// groupStream is the merged tar of a group of one package, made by another goroutine while the
// packer reads it. The merge's checks all still run (a path the artifact holds twice, differently,
// is a conflict), only later: an error reaches the packer as a read error, which fails the
// package before it is written. A reader that needs the tar as a file (the portable check reads
// programs at their offsets) asks for File before the first Read: the group is then merged into
// a temporary tar, as for a group of several packages, and read from there.
type groupStream struct {
	ctx    context.Context
	g      lock.Group
	system string
	dir    string // where File writes

	r    io.Reader      // nil until the first Read or File
	pr   *io.PipeReader // the stream, once started
	done chan struct{}  // closed when the merging goroutine ends
	f    *os.File       // the temporary tar File wrote
}

// streamGroup returns g's merged tar for system; nothing is merged before the first Read or File.
func streamGroup(ctx context.Context, g lock.Group, system, dir string) *groupStream {
	return &groupStream{ctx: ctx, g: g, system: system, dir: dir}
}

func (s *groupStream) Read(p []byte) (int, error) {
	if s.r == nil {
		s.start()
	}
	return s.r.Read(p)
}

// start merges on another goroutine into a pipe the reads take from.
func (s *groupStream) start() {
	pr, pw := io.Pipe()
	s.r, s.pr, s.done = pr, pr, make(chan struct{})
	go func() {
		defer close(s.done)
		// Headers are 512-byte writes: gather them, so the reader is woken per chunk, not per write.
		bw := bufio.NewWriterSize(pw, 256<<10)
		err := writeGroup(s.ctx, bw, s.g)
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(s.wrap(err))
	}()
}

func (s *groupStream) wrap(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("merging pkg-group %s for %s: %w", s.g.Name, s.system, err)
}

// File merges the group into a temporary tar and returns its path; the reads then come from it.
func (s *groupStream) File() (string, error) {
	if s.f != nil {
		return s.f.Name(), nil
	}
	if s.r != nil {
		return "", errors.New("the merged tar is already being streamed")
	}
	f, err := os.CreateTemp(s.dir, "stream-*.tar")
	if err != nil {
		return "", s.wrap(err)
	}
	s.f, s.r = f, f
	if err := writeGroup(s.ctx, f, s.g); err != nil {
		return "", s.wrap(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", s.wrap(err)
	}
	return f.Name(), nil
}

// Close stops the merge if it is still running and waits for it to end (so the artifact is
// closed when Close returns), and removes the temporary tar File wrote.
func (s *groupStream) Close() error {
	if s.pr != nil {
		s.pr.Close()
		<-s.done
	}
	if s.f != nil {
		s.f.Close()
		os.Remove(s.f.Name())
	}
	return nil
}
