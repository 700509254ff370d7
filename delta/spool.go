package delta

import (
	"context"
	"fmt"
	"io"
	"os"
)

// spool holds file contents read from streams in one unlinked temporary file, so a tree built
// from a stream can be written later without holding the contents in memory.
type spool struct {
	f    *os.File
	size int64
}

func newSpool(dir string) (*spool, error) {
	f, err := os.CreateTemp(dir, "flavor-delta-spool-*")
	if err != nil {
		return nil, fmt.Errorf("creating spool: %w", err)
	}
	// Unlinked at once: the space is freed when the file is closed, even after a crash.
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("creating spool: %w", err)
	}
	return &spool{f: f}, nil
}

// add appends everything r yields and returns where it went.
func (s *spool) add(r io.Reader) (spoolContent, error) {
	n, err := io.Copy(s.f, r)
	c := spoolContent{s: s, off: s.size, n: n}
	s.size += n
	if err != nil {
		return c, fmt.Errorf("spooling content: %w", err)
	}
	return c, nil
}

// rewind drops everything from off on (content that turned out not to be needed).
func (s *spool) rewind(off int64) error {
	if err := s.f.Truncate(off); err != nil {
		return fmt.Errorf("rewinding spool: %w", err)
	}
	if _, err := s.f.Seek(off, io.SeekStart); err != nil {
		return fmt.Errorf("rewinding spool: %w", err)
	}
	s.size = off
	return nil
}

func (s *spool) close() error { return s.f.Close() }

// spoolContent is a regular file's content held in a spool.
type spoolContent struct {
	s      *spool
	off, n int64
}

func (c spoolContent) open(context.Context) (io.ReadCloser, error) {
	return io.NopCloser(io.NewSectionReader(c.s.f, c.off, c.n)), nil
}

// fileContent is a regular file's content on a local filesystem.
type fileContent string

func (c fileContent) open(context.Context) (io.ReadCloser, error) { return os.Open(string(c)) }
