package packer

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime"
	"sync"
)

// asyncMax is the largest file asyncFiles writes; larger ones are written by the goroutine that
// reads the archive, in 1 MiB writes.
const asyncMax = 256 << 10

// asyncFiles writes small regular files on worker goroutines while the archive is read on, so
// the kernel's share of making them (create, write, chmod, close: most of the work of a tree of
// many small files) runs beside the decoder on every core. The reading goroutine does everything
// else, in archive order, and waits for the files in flight (wait) before anything that depends
// on one being on disk: an entry of a name in flight, a hard link, closing a directory
// descriptor, the end. The guard needs none of them on disk: it knows the archive's regular files.
type asyncFiles struct {
	root    *os.Root
	jobs    []chan fileJob  // one queue per worker; a directory's files all go to one
	free    chan []byte     // body buffers, asyncMax each
	pending map[string]bool // names in flight (reading goroutine only)
	flight  sync.WaitGroup  // files in flight
	workers sync.WaitGroup

	mu  sync.Mutex
	err error // the first failure
}

type fileJob struct {
	in          *entryDir
	name, entry string
	body        []byte
	mode        fs.FileMode
}

// newAsyncFiles starts the workers, or returns nil where there is one CPU.
func newAsyncFiles(root *os.Root) *asyncFiles {
	n := min(runtime.GOMAXPROCS(0), 4)
	if n < 2 {
		return nil
	}
	a := &asyncFiles{root: root, jobs: make([]chan fileJob, n), free: make(chan []byte, 5*n), pending: map[string]bool{}}
	for range cap(a.free) {
		a.free <- nil // allocated when first used
	}
	a.workers.Add(n)
	for i := range a.jobs {
		a.jobs[i] = make(chan fileJob, 4)
		go a.work(a.jobs[i])
	}
	return a
}

func (a *asyncFiles) work(jobs chan fileJob) {
	defer a.workers.Done()
	for j := range jobs {
		if a.failed() == nil {
			err := makeFile(j.in, a.root, j.name, j.mode, func(f *os.File) error {
				_, err := f.Write(j.body)
				return err
			})
			if err != nil {
				a.mu.Lock()
				if a.err == nil {
					a.err = fmt.Errorf("entry %q: %w", j.entry, err)
				}
				a.mu.Unlock()
			}
		}
		a.free <- j.body
		a.flight.Done()
	}
}

func (a *asyncFiles) failed() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

// write reads the body of the file name (size bytes, at most asyncMax) from r and hands it to
// a worker, to be made in the directory in; entry names it in the worker's error. A worker's
// failure is reported by failed and wait.
func (a *asyncFiles) write(in *entryDir, name, entry string, r io.Reader, size int64, mode fs.FileMode) error {
	body := <-a.free
	if body == nil {
		body = make([]byte, asyncMax)
	}
	if _, err := io.ReadFull(r, body[:size]); err != nil {
		a.free <- body
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	a.pending[name] = true
	a.flight.Add(1)
	a.queue(path.Dir(name)) <- fileJob{in: in, name: name, entry: entry, body: body[:size], mode: mode}
	return nil
}

// queue is the worker that makes the files of dir. Creating a file holds its directory's lock:
// workers creating in one directory would wait for each other (on ext4, where a create after
// many deletions searches the inode bitmaps, the kernel spins on that lock), so each directory
// is one worker's (FNV-1a of its name).
func (a *asyncFiles) queue(dir string) chan fileJob {
	h := uint32(2166136261)
	for i := 0; i < len(dir); i++ {
		h = (h ^ uint32(dir[i])) * 16777619
	}
	return a.jobs[h%uint32(len(a.jobs))]
}

// wait returns once every file in flight is on disk (or failed), with the first failure.
func (a *asyncFiles) wait() error {
	if len(a.pending) > 0 {
		a.flight.Wait()
		clear(a.pending)
	}
	return a.failed()
}

// stop waits for the files in flight and ends the workers.
func (a *asyncFiles) stop() error {
	err := a.wait()
	for _, q := range a.jobs {
		close(q)
	}
	a.workers.Wait()
	return err
}
