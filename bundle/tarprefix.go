package bundle

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/flavor-dev/flavor/packer"
)

// prefixedTar streams packer.TarDir's deterministic tar of dir with every entry moved under
// prefix ("opt/app"), preceded by entries for prefix's directories: the tar of a slot whose
// target is not the workenv root. The tar is made when first read; Close stops it.
type prefixedTar struct {
	ctx    context.Context
	dir    string
	prefix string
	mode   fs.FileMode // of dir: the mode of prefix's last directory
	epoch  *time.Time

	once sync.Once
	pr   *io.PipeReader
	wg   sync.WaitGroup
}

var errSlotClosed = errors.New("slot stream closed")

func (p *prefixedTar) Read(b []byte) (int, error) {
	p.once.Do(p.start)
	return p.pr.Read(b)
}

// Close stops the tar and waits for its goroutines.
func (p *prefixedTar) Close() error {
	p.once.Do(func() {}) // never started: nothing to stop
	if p.pr != nil {
		p.pr.CloseWithError(errSlotClosed)
		p.wg.Wait()
	}
	return nil
}

func (p *prefixedTar) start() {
	rawR, rawW := io.Pipe()
	outR, outW := io.Pipe()
	p.pr = outR
	var opts []packer.Option
	if p.epoch != nil {
		opts = append(opts, packer.WithSourceDateEpoch(*p.epoch))
	}
	clamp := time.Unix(0, 0)
	if p.epoch != nil {
		clamp = *p.epoch
	}
	p.wg.Add(2)
	go func() {
		defer p.wg.Done()
		_, err := packer.TarDir(p.ctx, rawW, p.dir, opts...)
		rawW.CloseWithError(err)
	}()
	go func() {
		defer p.wg.Done()
		err := prefixEntries(rawR, outW, p.prefix, p.mode, clamp)
		rawR.CloseWithError(errSlotClosed) // unblocks TarDir if we stopped early
		outW.CloseWithError(err)
	}()
}

// prefixEntries copies the tar stream r to w with every name under prefix. Hard link targets
// (archive paths) move with them; symlink targets are left alone (relative ones still point at
// the same place, absolute ones are the archive's business).
func prefixEntries(r io.Reader, w io.Writer, prefix string, mode fs.FileMode, clamp time.Time) error {
	tr, tw := tar.NewReader(r), tar.NewWriter(w)
	parts := strings.Split(prefix, "/")
	for i := range parts {
		perm := int64(0o755)
		if i == len(parts)-1 {
			perm = int64(mode.Perm())
		}
		h := &tar.Header{Typeflag: tar.TypeDir, Name: strings.Join(parts[:i+1], "/") + "/", Mode: perm, ModTime: clamp}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("writing tar header for %s: %w", h.Name, err)
		}
	}
	buf := make([]byte, 1<<20)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		h.Name = prefix + "/" + h.Name
		if h.Typeflag == tar.TypeLink {
			h.Linkname = prefix + "/" + h.Linkname
		}
		delete(h.PAXRecords, "path")
		delete(h.PAXRecords, "linkpath")
		h.Format = tar.FormatUnknown // let the writer pick USTAR, or PAX when the longer name needs it
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("writing tar header for %s: %w", h.Name, err)
		}
		if _, err := io.CopyBuffer(tw, tr, buf); err != nil {
			return err
		}
	}
	return tw.Close()
}
