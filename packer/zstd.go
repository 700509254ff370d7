package packer

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
// stream.
func newZstdWriter(w io.Writer, concurrency int) (io.WriteCloser, error) {
	enc, err := sharedZstdEncoder()
	if err != nil {
		return nil, err
	}
	z := &parallelZstd{
		enc:   enc,
		w:     w,
		queue: make(chan *zstdJob, concurrency),
		slots: make(chan struct{}, concurrency),
		done:  make(chan struct{}),
	}
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
	buf    []byte
	frames int
	queue  chan *zstdJob // jobs in output order; its capacity bounds the memory in flight
	slots  chan struct{} // compressing goroutines
	done   chan struct{} // closed when writeLoop returns
	closed bool

	mu  sync.Mutex
	err error // first write error
}

// bufPool holds chunk-sized buffers; they also take a chunk's compressed frame, whose worst case
// (incompressible input) is a little larger than the chunk.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, zstdBufCap); return &b }}

const zstdBufCap = zstdChunk + zstdChunk/128 + 4096

func (z *parallelZstd) failed() error {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.err
}

func (z *parallelZstd) Write(p []byte) (int, error) {
	if z.closed {
		return 0, errors.New("zstd writer is closed")
	}
	if err := z.failed(); err != nil {
		return 0, err
	}
	n := len(p)
	for len(p) > 0 {
		if z.buf == nil {
			z.buf = (*bufPool.Get().(*[]byte))[:0]
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

// submit hands the current chunk to a compressing goroutine and queues it for writing.
func (z *parallelZstd) submit() {
	job := &zstdJob{in: z.buf, ready: make(chan struct{})}
	z.buf = nil
	z.frames++
	z.queue <- job // blocks while the writer is concurrency frames behind
	z.slots <- struct{}{}
	go func() {
		out := (*bufPool.Get().(*[]byte))[:0]
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
		for _, b := range [][]byte{job.in[:0], job.out[:0]} {
			if cap(b) == zstdBufCap { // keep only buffers of the usual size
				bufPool.Put(&b)
			}
		}
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
			z.buf = []byte{}
		}
		z.submit()
	}
	close(z.queue)
	<-z.done
	return z.failed()
}
