package sbom

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// The queue hands the reader every byte in order, whatever the sizes of the writes and reads
// (tar headers of 512 bytes, files larger than a chunk), and the end or the abort error after.
func TestChunkQueueKeepsEveryByte(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	want := make([]byte, 3*chunkSize*queueChunks+12345)
	for i := range want {
		want[i] = byte(rng.Uint32())
	}
	for _, abort := range []bool{false, true} {
		q := newChunkQueue()
		got := make(chan []byte)
		readErr := make(chan error, 1)
		buf := make([]byte, 1+rng.IntN(70000))
		go func() {
			var out bytes.Buffer
			for {
				n, err := q.Read(buf)
				out.Write(buf[:n])
				if err != nil {
					readErr <- err
					got <- out.Bytes()
					return
				}
			}
		}()
		for rest := want; len(rest) > 0; {
			k := min(len(rest), []int{1, 512, 4096, chunkSize + 7, 1 << 20}[rng.IntN(5)])
			if n, err := q.Write(rest[:k]); n != k || err != nil {
				t.Fatalf("Write = %d, %v; want %d, nil", n, err, k)
			}
			rest = rest[k:]
		}
		stop := errors.New("encoding failed")
		if abort {
			q.close(stop)
		} else {
			q.close(nil)
		}
		err, out := <-readErr, <-got
		switch {
		case !abort && (err != io.EOF || !bytes.Equal(out, want)):
			t.Fatalf("read %d of %d bytes (equal: %v), then %v; want all, then EOF", len(out), len(want), bytes.Equal(out, want), err)
		case abort && (!errors.Is(err, stop) || !bytes.Equal(out, want[:len(out)])):
			t.Fatalf("after abort: read %d bytes (a prefix: %v), then %v; want a prefix, then %v", len(out), bytes.Equal(out, want[:len(out)]), err, stop)
		}
	}
}

// A tap gives the scan the same bytes as the stream: the content digest is the stream's SHA-256.
func TestTapScansTheWholeStream(t *testing.T) {
	var raw bytes.Buffer
	tw := newTarWriter(&raw)
	for i := 0; i < 50; i++ {
		tw.file(string(rune('a'+i%26))+"/f"+string(rune('0'+i/26)), string(bytes.Repeat([]byte{byte(i)}, 1000*i)))
	}
	tw.tw.Close()
	tap := NewTap(context.Background(), true, "{workenv}")
	for rest := raw.Bytes(); len(rest) > 0; {
		k := min(len(rest), 777)
		tap.Write(rest[:k])
		rest = rest[k:]
	}
	if err := tap.Close(); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw.Bytes())
	if got := tap.Result(); got.Content != hex.EncodeToString(sum[:]) || len(got.Files) != 50 {
		t.Fatalf("scan saw content %s and %d files; want %x and 50", got.Content, len(got.Files), sum)
	}
}
