package delta

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"strings"
	"testing"
	"time"
)

// update rewrites the golden files instead of comparing with them:
//
//	go test ./delta -run Golden -update
var update = flag.Bool("update", false, "rewrite testdata/golden/*.sha256 from this build's output")

// TestGoldenArtifact writes the artifact of a fixed tree (a tar made here, so no file system or
// umask moves it) with a fixed SOURCE_DATE_EPOCH and compares its SHA-256 with
// testdata/golden/artifact.sha256, so a change of the artifact bytes is seen. When a change is
// meant, regenerate with `go test ./delta -run Golden -update` and say why in the commit.
func TestGoldenArtifact(t *testing.T) {
	var in bytes.Buffer
	tw := tar.NewWriter(&in)
	mtime := time.Unix(1600000000, 0)
	for _, e := range []struct {
		hdr  tar.Header
		body string
	}{
		{tar.Header{Name: "usr/", Typeflag: tar.TypeDir, Mode: 0o755}, ""},
		{tar.Header{Name: "usr/bin/", Typeflag: tar.TypeDir, Mode: 0o755}, ""},
		{tar.Header{Name: "usr/bin/hello", Typeflag: tar.TypeReg, Mode: 0o755}, "#!/bin/sh\necho hello\n"},
		{tar.Header{Name: "usr/bin/hi", Typeflag: tar.TypeSymlink, Linkname: "hello", Mode: 0o777}, ""},
		{tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755}, ""},
		{tar.Header{Name: "etc/hello.conf", Typeflag: tar.TypeReg, Mode: 0o640, Uid: 100, Gid: 100}, strings.Repeat("greeting = hello\n", 100)},
	} {
		h := e.hdr
		h.ModTime, h.Size, h.Format = mtime, int64(len(e.body)), tar.FormatPAX
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e.body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tree, err := FromTar(ctx, &in)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	var out bytes.Buffer
	if _, err := tree.WriteArtifact(ctx, &out, WithSourceDateEpoch(time.Unix(1700000000, 0))); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(out.Bytes())
	got := hex.EncodeToString(sum[:])
	const file = "testdata/golden/artifact.sha256"
	if *update {
		if err := os.WriteFile(file, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (create it with: go test ./delta -run Golden -update)", err)
	}
	if w := strings.TrimSpace(string(want)); w != got {
		t.Fatalf("artifact SHA-256 %s, golden %s (%s): the artifact bytes changed; if that is meant, "+
			"run `go test ./delta -run Golden -update` and say why in the commit", got, w, file)
	}
}
