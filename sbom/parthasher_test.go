package sbom

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"reflect"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/internal/sidehash"
)

// TestScanTarHashersAgree: the scan gives the same result with its hashes on workers and inline,
// and the digests are those of the bytes: the stream's SHA-256, each file's SHA-256 and SHA-1
// (files larger than a worker's chunk, an entry replaced by a later one, a hard link to it).
func TestScanTarHashersAgree(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 3*sidehash.ChunkSize/16+7)
	var buf bytes.Buffer
	tw := newTarWriter(&buf)
	tw.file("a/big", big)
	tw.file("a/small", "small\n")
	tw.file("a/empty", "")
	tw.file("a/small", "replaced\n")
	tw.link("a/link", "a/small")
	tw.file("b/after", big[:sidehash.ChunkSize])
	tw.close()
	data := buf.Bytes()

	scan := func(newHasher func(hash.Hash) partHasher) Scanned {
		t.Helper()
		sc, err := scanTar(context.Background(), bytes.NewReader(data), newHasher(sha256.New()), newHasher(sha1.New()))
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	workers := scan(func(h hash.Hash) partHasher { return sidehash.New(h) })
	inline := scan(func(h hash.Hash) partHasher { return &inlineHasher{h: h} })
	if !reflect.DeepEqual(workers, inline) {
		t.Fatalf("workers and inline differ:\n%+v\n%+v", workers, inline)
	}
	if workers.Content != hexSum(sha256.New(), data) {
		t.Fatalf("content digest %s is not the stream's", workers.Content)
	}
	want := map[string]string{"a/big": big, "a/small": "replaced\n", "a/empty": "", "a/link": "replaced\n", "b/after": big[:sidehash.ChunkSize]}
	if len(workers.Files) != len(want) {
		t.Fatalf("files %+v", workers.Files)
	}
	for _, f := range workers.Files {
		body, ok := want[f.Path]
		if !ok || f.SHA256 != hexSum(sha256.New(), []byte(body)) || f.SHA1 != hexSum(sha1.New(), []byte(body)) || f.Size != int64(len(body)) {
			t.Errorf("%s: %+v", f.Path, f)
		}
	}
}

func hexSum(h hash.Hash, b []byte) string {
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}
