package sbom

import (
	"context"
	"io"
)

// Tap scans a slot's content while it is written elsewhere: the packer writes the slot's input
// stream to it (see packer.WithSlotTap). Close waits for the scan and returns its error; Result
// is valid after Close.
//
// Write copies the bytes into a bounded queue and returns, so the scan (three hashes of every
// byte) runs on another core while the writer goes on encoding, instead of the writer waiting
// for each write to be hashed as through an io.Pipe.
type Tap struct {
	q    *chunkQueue
	done chan struct{}
	res  Scanned
	err  error
}

// NewTap starts scanning a tar stream (isTar) or a single file unpacked at target.
func NewTap(ctx context.Context, isTar bool, target string) *Tap {
	q := newChunkQueue()
	t := &Tap{q: q, done: make(chan struct{})}
	go func() {
		defer close(t.done)
		if isTar {
			t.res, t.err = ScanTar(ctx, q)
		} else {
			t.res, t.err = ScanFile(ctx, q, target)
		}
		// Drain so a writer never blocks on a scan that stopped early.
		io.Copy(io.Discard, q)
	}()
	return t
}

// Write passes p to the scan.
func (t *Tap) Write(p []byte) (int, error) { return t.q.Write(p) }

// Close ends the stream and waits for the scan.
func (t *Tap) Close() error {
	t.q.close(nil)
	<-t.done
	return t.err
}

// Abort stops the scan after a failed write.
func (t *Tap) Abort(err error) {
	t.q.close(err)
	<-t.done
}

// Result is what the scan found (after Close).
func (t *Tap) Result() Scanned { return t.res }

const (
	chunkSize   = 256 << 10
	queueChunks = 8 // at most 2 MiB waits for the scan, besides the chunk being filled
)

// chunkQueue is a one-writer, one-reader pipe whose writes return once the bytes are queued.
// Small writes (tar headers) are gathered into chunks; used chunks go back to the writer.
type chunkQueue struct {
	full chan []byte
	free chan []byte
	fill []byte // the writer's chunk being filled
	err  error  // what reads return at the end (nil: io.EOF); set before full is closed
	cur  []byte // the reader's chunk, what is left of it
	buf  []byte // the reader's chunk, whole, to give back
}

func newChunkQueue() *chunkQueue {
	return &chunkQueue{full: make(chan []byte, queueChunks), free: make(chan []byte, queueChunks+2)}
}

func (q *chunkQueue) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if q.fill == nil {
			select {
			case q.fill = <-q.free:
			default:
				q.fill = make([]byte, 0, chunkSize)
			}
		}
		k := min(len(p), chunkSize-len(q.fill))
		q.fill = append(q.fill, p[:k]...)
		p = p[k:]
		if len(q.fill) == chunkSize {
			q.full <- q.fill
			q.fill = nil
		}
	}
	return n, nil
}

// close ends the stream: reads return what was written, then err (io.EOF when nil). On err the
// chunk being filled is dropped.
func (q *chunkQueue) close(err error) {
	if err == nil && len(q.fill) > 0 {
		q.full <- q.fill
	}
	q.fill = nil
	q.err = err
	close(q.full)
}

func (q *chunkQueue) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for len(q.cur) == 0 {
		if q.buf != nil {
			select {
			case q.free <- q.buf[:0]:
			default:
			}
			q.buf = nil
		}
		b, ok := <-q.full
		if !ok {
			if q.err != nil {
				return 0, q.err
			}
			return 0, io.EOF
		}
		q.cur, q.buf = b, b
	}
	n := copy(p, q.cur)
	q.cur = q.cur[n:]
	return n, nil
}
