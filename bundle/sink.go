package bundle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/flavor-dev/flavor/specs/manifest"
)

// Sink is an output Pack makes beside each package once it is written and checked: a sidecar
// file (a checksum, an SBOM), an upload. The .psp itself is always written; sinks follow it in
// the order given.
type Sink interface {
	// Name says what the sink makes, for messages ("sha256 file").
	Name() string
	// Emit makes the sink's output for the package out of manifest m and returns the paths it
	// wrote (recorded in Output.Sidecars). A sink that fails leaves nothing partial behind.
	Emit(ctx context.Context, m *manifest.Manifest, out Output) ([]string, error)
}

// WithSinks runs these sinks on every package Pack writes.
func WithSinks(sinks ...Sink) Option {
	return func(o *options) error {
		for _, s := range sinks {
			if s == nil {
				return errors.New("WithSinks: nil sink")
			}
		}
		o.sinks = append(o.sinks, sinks...)
		return nil
	}
}

// emit runs the sinks on out, recording what they wrote.
func (o *options) emit(ctx context.Context, m *manifest.Manifest, out *Output) error {
	for _, s := range o.sinks {
		paths, err := s.Emit(ctx, m, *out)
		if err != nil {
			return fmt.Errorf("writing the %s of %s: %w", s.Name(), out.Path, err)
		}
		out.Sidecars = append(out.Sidecars, paths...)
	}
	return nil
}

// SHA256File is the sink that writes <package>.sha256 beside each package, in the format
// `sha256sum -c` reads: "<hex>  <file name>".
func SHA256File() Sink { return sha256File{} }

type sha256File struct{}

func (sha256File) Name() string { return "sha256 file" }

func (sha256File) Emit(_ context.Context, _ *manifest.Manifest, out Output) ([]string, error) {
	sum, ok := strings.CutPrefix(out.SHA256, "sha256:")
	if !ok || sum == "" {
		return nil, fmt.Errorf("the package has no SHA-256 (%q)", out.SHA256)
	}
	path := out.Path + ".sha256"
	if err := writeFileAtomic(path, []byte(sum+"  "+filepath.Base(out.Path)+"\n")); err != nil {
		return nil, err
	}
	return []string{path}, nil
}

// writeFileAtomic writes data to path through a temporary file renamed into place.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	if _, err = tmp.Write(data); err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
