package sbom

import (
	"archive/tar"
	"io"
)

type tarWriter struct{ tw *tar.Writer }

func newTarWriter(w io.Writer) *tarWriter { return &tarWriter{tar.NewWriter(w)} }

func (t *tarWriter) file(name, body string) {
	t.tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
	t.tw.Write([]byte(body))
}

func (t *tarWriter) link(name, target string) {
	t.tw.WriteHeader(&tar.Header{Name: name, Linkname: target, Mode: 0o644, Typeflag: tar.TypeLink})
}

func (t *tarWriter) close() { t.tw.Close() }
