//go:build unix

package packer

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestTarRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"ok": "fine"})
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	_, err := TarDir(context.Background(), io.Discard, dir)
	if !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), fifo) || !strings.Contains(err.Error(), "fifo") {
		t.Fatalf("TarDir error %v, want one naming %s as a fifo", err, fifo)
	}
}
