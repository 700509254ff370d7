package delta

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
)

// sameAttrs reports whether two entries at the same path differ in nothing a build can mean:
// type, mode (with setuid, setgid, sticky), owner, link target, device numbers, size and the
// security.capability xattr. The mtime is deliberately not compared.
func sameAttrs(a, b Entry) bool {
	return a.Type == b.Type && a.Mode == b.Mode && a.UID == b.UID && a.GID == b.GID &&
		a.Linkname == b.Linkname && a.Devmajor == b.Devmajor && a.Devminor == b.Devminor &&
		a.Size == b.Size && maps.Equal(a.Xattrs, b.Xattrs)
}

// sameEntry compares attributes first and, for regular files of equal size, the bytes.
func sameEntry(ctx context.Context, a, b Entry) (bool, error) {
	if !sameAttrs(a, b) {
		return false, nil
	}
	if a.Type != tar.TypeReg || a.Size == 0 {
		return true, nil
	}
	ra, err := a.Open(ctx)
	if err != nil {
		return false, err
	}
	defer ra.Close()
	rb, err := b.Open(ctx)
	if err != nil {
		return false, err
	}
	defer rb.Close()
	same, err := sameBytes(ra, rb)
	if err != nil {
		return false, fmt.Errorf("comparing %s: %w", a.Path, err)
	}
	return same, nil
}

const compareChunk = 64 << 10

// sameBytes streams both readers and reports whether they yield the same bytes, stopping at the
// first difference.
func sameBytes(a, b io.Reader) (bool, error) {
	bufA := make([]byte, compareChunk)
	bufB := make([]byte, compareChunk)
	for {
		na, errA := io.ReadFull(a, bufA)
		nb, errB := io.ReadFull(b, bufB)
		if !bytes.Equal(bufA[:na], bufB[:nb]) {
			return false, nil
		}
		endA, endB := isEnd(errA), isEnd(errB)
		if errA != nil && !endA {
			return false, errA
		}
		if errB != nil && !endB {
			return false, errB
		}
		if endA || endB {
			return endA == endB, nil
		}
	}
}

func isEnd(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
