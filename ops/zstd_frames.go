package ops

import (
	"errors"
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// zstdChunk is the input size of each independent zstd frame. Frames of a few MiB lose almost
// nothing to the missing cross-frame history and let every core compress at once, the way
// `zstd -T0` splits its input into jobs. The size is fixed, so the output does not depend on the
// number of cores.
const zstdChunk = 4 << 20

var (
	zstdEncOnce sync.Once
	zstdEnc     *zstd.Encoder
	zstdEncErr  error
)

// sharedZstdEncoder returns the process-wide encoder used for EncodeAll (safe for concurrent use).
func sharedZstdEncoder() (*zstd.Encoder, error) {
	zstdEncOnce.Do(func() {
		// EncodeAll runs at most "concurrency" calls at once (one encoder state each); the
		// parallelism itself is capped per writer by newZstdWriter's concurrency.
		zstdEnc, zstdEncErr = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault),
			zstd.WithEncoderConcurrency(min(runtime.NumCPU(), 64)), zstd.WithZeroFrames(true))
	})
	return zstdEnc, zstdEncErr
}

// newZstdWriter returns the zstd encoder used for slots: the input is cut into zstdChunk pieces,
// each compressed into its own frame by up to concurrency goroutines, and the frames are written
// to w in order by one more goroutine. Any zstd decoder reads the concatenated frames as one
// stream. ReadFrom reads straight into the chunk being filled.
//
// The writer owns a fixed set of chunk-sized buffers, enough for every stage to be busy (one
// being filled, concurrency being compressed, concurrency compressed frames waiting to be
// written), and recycles them for as long as it lives: fresh multi-megabyte buffers would be
// page-faulted in and zeroed for every chunk.
func newZstdWriter(w io.Writer, concurrency int) (io.WriteCloser, error) {
	enc, err := sharedZstdEncoder()
	if err != nil {
		return nil, err
	}
	nbuf := 2*concurrency + 2 // inputs: filling + compressing; outputs: compressed, waiting
	z := &parallelZstd{
		enc:   enc,
		w:     w,
		queue: make(chan *zstdJob, concurrency),
		slots: make(chan struct{}, concurrency),
		free:  make(chan []byte, nbuf),
		done:  make(chan struct{}),
	}
	z.spare = nbuf
	go z.writeLoop()
	return z, nil
}

type zstdJob struct {
	in, out []byte
	ready   chan struct{}
}

type parallelZstd struct {
	enc    *zstd.Encoder
	w      io.Writer
	buf    []byte // the chunk being filled
	frames int
	queue  chan *zstdJob // jobs in output order; its capacity bounds the memory in flight
	slots  chan struct{} // compressing goroutines
	free   chan []byte   // recycled buffers
	spare  int           // buffers not yet allocated (used only by the filling goroutine)
	done   chan struct{} // closed when writeLoop returns
	closed bool

	mu  sync.Mutex
	err error // first write error
}

// zstdBufCap holds a chunk, or a chunk's compressed frame, whose worst case (incompressible
// input) is a little larger than the chunk.
const zstdBufCap = zstdChunk + zstdChunk/128 + 4096

// buffer returns an empty chunk-sized buffer: a recycled one, a new one while fewer than the
// writer's share exist, or else the next one a stage gives back.
func (z *parallelZstd) buffer() []byte {
	select {
	case b := <-z.free:
		return b[:0]
	default:
	}
	if z.spare > 0 {
		z.spare--
		return make([]byte, 0, zstdBufCap)
	}
	return (<-z.free)[:0]
}

// recycle gives a buffer back. One that grew (never expected: zstdBufCap bounds a frame) is
// replaced, so the writer's share stays whole and buffer never waits for nothing.
func (z *parallelZstd) recycle(b []byte) {
	if cap(b) != zstdBufCap {
		b = make([]byte, 0, zstdBufCap)
	}
	z.free <- b
}

func (z *parallelZstd) failed() error {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.err
}

func (z *parallelZstd) writable() error {
	if z.closed {
		return errors.New("zstd writer is closed")
	}
	return z.failed()
}

func (z *parallelZstd) Write(p []byte) (int, error) {
	if err := z.writable(); err != nil {
		return 0, err
	}
	n := len(p)
	for len(p) > 0 {
		if z.buf == nil {
			z.buf = z.buffer()
		}
		k := min(len(p), zstdChunk-len(z.buf)) // chunks stay zstdChunk long whatever the buffer's capacity
		z.buf = append(z.buf, p[:k]...)
		p = p[k:]
		if len(z.buf) == zstdChunk {
			z.submit()
		}
	}
	return n, nil
}

// ReadFrom reads r to its end straight into the chunks, sparing the copy Write makes.
func (z *parallelZstd) ReadFrom(r io.Reader) (int64, error) {
	if err := z.writable(); err != nil {
		return 0, err
	}
	var total int64
	for {
		if z.buf == nil {
			z.buf = z.buffer()
		}
		n, err := r.Read(z.buf[len(z.buf):zstdChunk])
		z.buf = z.buf[:len(z.buf)+n]
		total += int64(n)
		if len(z.buf) == zstdChunk {
			z.submit()
			if ferr := z.failed(); ferr != nil {
				return total, ferr
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// submit hands the current chunk to a compressing goroutine and queues it for writing.
func (z *parallelZstd) submit() {
	job := &zstdJob{in: z.buf, ready: make(chan struct{})}
	z.buf = nil
	z.frames++
	z.queue <- job // blocks while the writer is concurrency frames behind
	z.slots <- struct{}{}
	out := z.buffer()
	go func() {
		job.out = z.enc.EncodeAll(job.in, out)
		<-z.slots
		close(job.ready)
	}()
}

func (z *parallelZstd) writeLoop() {
	defer close(z.done)
	for job := range z.queue {
		<-job.ready
		if z.failed() == nil {
			if _, err := z.w.Write(job.out); err != nil {
				z.mu.Lock()
				z.err = err
				z.mu.Unlock()
			}
		}
		z.recycle(job.in)
		z.recycle(job.out)
	}
}

// Close compresses what is buffered (at least one frame, so empty input is a valid stream),
// waits for every frame to be written and returns the first error.
func (z *parallelZstd) Close() error {
	if z.closed {
		return z.failed()
	}
	z.closed = true
	if len(z.buf) > 0 || z.frames == 0 {
		if z.buf == nil {
			z.buf = z.buffer()
		}
		z.submit()
	}
	close(z.queue)
	<-z.done
	return z.failed()
}
