package sbom

import (
	"hash"
	"runtime"
)

// partHasher digests a stream cut into parts (a tar slot's files, or the whole stream as one
// part): endPart ends a part and returns its number, wait returns every ended part's digest by
// number.
type partHasher interface {
	Write(p []byte) (int, error)
	endPart() int
	wait() [][]byte
}

// newPartHasher returns a hashWorker when there are more than two CPUs to run it on, else an
// inline hasher: on two CPUs the scan shares them with pack's zstd workers, and the workers'
// copies cost more than their parallelism gives (flavor pack of 200 MiB: 704 vs 681 ms).
func newPartHasher(h hash.Hash) partHasher {
	if runtime.GOMAXPROCS(0) > 2 {
		return newHashWorker(h)
	}
	return &inlineHasher{h: h}
}

// inlineHasher is a partHasher that hashes in the writer's goroutine.
type inlineHasher struct {
	h    hash.Hash
	sums [][]byte
}

func (i *inlineHasher) Write(p []byte) (int, error) { return i.h.Write(p) }

func (i *inlineHasher) endPart() int {
	i.sums = append(i.sums, i.h.Sum(nil))
	i.h.Reset()
	return len(i.sums) - 1
}

func (i *inlineHasher) wait() [][]byte { return i.sums }

const (
	workChunk  = 256 << 10
	workChunks = 8 // at most 2 MiB waits for a worker, besides the chunk being filled
)

// hashWorker hashes what is written to it on a goroutine of its own, so the three digests a
// scan takes of every byte (SHA-256 of the stream, SHA-256 and SHA-1 of each file) run on three
// cores where there are three, instead of one after the other on the scan's. The stream is cut
// into parts (files) by endPart; each part's digest is kept by its number and read with wait.
type hashWorker struct {
	h    hash.Hash
	in   chan workMsg
	free chan []byte
	fill []byte
	part int
	sums [][]byte // filled by the goroutine; read after done
	done chan struct{}
}

// workMsg is a chunk to hash, or (end) the end of the current part.
type workMsg struct {
	b   []byte
	end bool
}

func newHashWorker(h hash.Hash) *hashWorker {
	w := &hashWorker{h: h, in: make(chan workMsg, workChunks), free: make(chan []byte, workChunks+1), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for m := range w.in {
			if m.end {
				w.sums = append(w.sums, w.h.Sum(nil))
				w.h.Reset()
				continue
			}
			w.h.Write(m.b)
			select {
			case w.free <- m.b[:0]:
			default:
			}
		}
	}()
	return w
}

// Write queues a copy of p for the worker.
func (w *hashWorker) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if w.fill == nil {
			select {
			case w.fill = <-w.free:
			default:
				w.fill = make([]byte, 0, workChunk)
			}
		}
		k := min(len(p), workChunk-len(w.fill))
		w.fill = append(w.fill, p[:k]...)
		p = p[k:]
		if len(w.fill) == workChunk {
			w.in <- workMsg{b: w.fill}
			w.fill = nil
		}
	}
	return n, nil
}

// endPart ends the current part and returns its number, the index of its digest in wait's result.
func (w *hashWorker) endPart() int {
	if len(w.fill) > 0 {
		w.in <- workMsg{b: w.fill}
		w.fill = nil
	}
	w.in <- workMsg{end: true}
	w.part++
	return w.part - 1
}

// wait stops the worker and returns the digest of every ended part, by number. Bytes written
// after the last endPart are dropped.
func (w *hashWorker) wait() [][]byte {
	w.fill = nil
	close(w.in)
	<-w.done
	return w.sums
}
