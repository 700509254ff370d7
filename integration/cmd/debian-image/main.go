// Command debian-image turns Debian root filesystem tars (made by mmdebstrap) into a
// multi-platform image the way a registry's debian:bookworm is made, for the integration tests,
// the examples and the benchmarks:
//
//   - layer 1 is the root filesystem, with /dev emptied (an image's /dev is made by the runtime);
//   - layer 2 cleans up like a Dockerfile's `RUN rm -rf …`: an opaque /usr/share/doc (lower
//     content hidden, one new README), whiteouts of /etc/motd and /var/cache/apt/archives, and a
//     new file /etc/flavor-image naming the image.
//
// Every platform's image goes into one index pushed to --ref; the image of --load's platform is
// also loaded into the engine under --ref. Layers are deterministic (entries as in the input,
// mtimes of layer 2 at 0), so the same tars give the same digests. It prints the index digest.
//
// --layer FILE.tar (repeatable) adds a layer of architecture-independent files on top of every
// platform's image (setup.sh's debian:bookworm-python: Debian's pip, unpacked from its
// architecture-independent packages).
//
//	go run ./integration/cmd/debian-image --ref 127.0.0.1:5000/debian:bookworm \
//	    --load linux/amd64 linux/amd64=amd64.tar linux/arm64=arm64.tar
package main

import (
	"archive/tar"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"

	"github.com/flavor-dev/flavor/engine/docker"
	"github.com/flavor-dev/flavor/oci"
	"github.com/flavor-dev/flavor/platform"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "debian-image:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("debian-image", flag.ContinueOnError)
	ref := fs.String("ref", "127.0.0.1:5000/debian:bookworm", "registry reference of the index")
	load := fs.String("load", "", "platform whose image is loaded into the engine under --ref (none when empty)")
	scratch := fs.String("scratch", os.TempDir(), "directory for the compressed layers")
	var extra layerFiles
	fs.Var(&extra, "layer", "a tar of architecture-independent files put on top of every platform's image as one more layer (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("give PLATFORM=ROOTFS.tar arguments, e.g. linux/amd64=bookworm-amd64.tar")
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	var toLoad v1.Image
	for _, a := range fs.Args() {
		plat, file, ok := strings.Cut(a, "=")
		if !ok {
			return fmt.Errorf("argument %q: want PLATFORM=ROOTFS.tar", a)
		}
		p, err := platform.Parse(plat)
		if err != nil {
			return fmt.Errorf("argument %q: %w", a, err)
		}
		img, err := image(ctx, file, p, *scratch, extra)
		if err != nil {
			return fmt.Errorf("making the %s image of %s: %w", p, file, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: p.OS, Architecture: p.Arch, Variant: p.Variant}},
		})
		if plat == *load {
			toLoad = img
		}
	}
	if *load != "" && toLoad == nil {
		return fmt.Errorf("--load %s: no image for that platform was given", *load)
	}
	r, err := name.ParseReference(*ref, name.Insecure)
	if err != nil {
		return fmt.Errorf("--ref %s: %w", *ref, err)
	}
	if err := remote.WriteIndex(r, idx, remote.WithContext(ctx)); err != nil {
		return fmt.Errorf("pushing %s: %w", *ref, err)
	}
	if toLoad != nil {
		d, err := docker.New(ctx, docker.WithHost(os.Getenv("DOCKER_HOST"))) // the engine setup.sh runs, or the one DOCKER_HOST names
		if err != nil {
			return err
		}
		defer d.Close()
		if _, err := oci.Load(ctx, d, toLoad, *ref); err != nil {
			return err
		}
	}
	digest, err := idx.Digest()
	if err != nil {
		return err
	}
	fmt.Println(digest)
	return nil
}

// layerFiles are the --layer flags.
type layerFiles []string

func (l *layerFiles) String() string     { return strings.Join(*l, ",") }
func (l *layerFiles) Set(v string) error { *l = append(*l, v); return nil }

// image makes the two-layer image of the root filesystem tar file for p, with the extra layers
// on top.
func image(ctx context.Context, file string, p platform.Platform, scratch string, extra []string) (v1.Image, error) {
	base := filepath.Join(scratch, filepath.Base(file)+".layer.tar.gz")
	if err := baseLayer(ctx, file, base); err != nil {
		return nil, err
	}
	l1, err := tarball.LayerFromFile(base)
	if err != nil {
		return nil, err
	}
	cleanup, err := cleanupLayer(p)
	if err != nil {
		return nil, err
	}
	l2, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(cleanup)), nil })
	if err != nil {
		return nil, err
	}
	layers := []v1.Layer{l1, l2}
	for _, f := range extra {
		l, err := tarball.LayerFromFile(f)
		if err != nil {
			return nil, fmt.Errorf("--layer %s: %w", f, err)
		}
		layers = append(layers, l)
	}
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layers...)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Arch, p.Variant
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	cf.Config.Env = []string{"PATH=" + oci.DefaultPath}
	cf.Config.Cmd = []string{"/bin/bash"}
	return mutate.ConfigFile(img, cf)
}

// baseLayer copies the root filesystem tar to a gzip layer file, leaving out what is under /dev.
func baseLayer(ctx context.Context, file, out string) error {
	in, err := os.Open(file)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := os.Create(out + ".tmp")
	if err != nil {
		return err
	}
	defer f.Close()
	zw, err := gzip.NewWriterLevel(f, gzip.BestSpeed)
	if err != nil {
		return err
	}
	tr, tw := tar.NewReader(in), tar.NewWriter(zw)
	buf := make([]byte, 1<<20)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", file, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		name := strings.TrimPrefix(strings.TrimPrefix(h.Name, "./"), "/")
		if name == "" || strings.HasPrefix(name, "dev/") && name != "dev/" {
			continue
		}
		h.Name = name
		h.Uname, h.Gname = "", ""
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.CopyBuffer(tw, tr, buf); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(out+".tmp", out)
}

// cleanupLayer is layer 2: an opaque /usr/share/doc holding only a README, whiteouts of
// /etc/motd and /var/cache/apt/archives, and /etc/flavor-image.
func cleanupLayer(p platform.Platform) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	add := func(name string, typ byte, mode int64, body string) error {
		h := &tar.Header{Name: name, Typeflag: typ, Mode: mode, Size: int64(len(body)), ModTime: epoch, Format: tar.FormatPAX}
		if typ == tar.TypeDir {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write([]byte(body))
		return err
	}
	for _, e := range []struct {
		name string
		typ  byte
		mode int64
		body string
	}{
		{"etc/", tar.TypeDir, 0o755, ""},
		{"etc/.wh.motd", tar.TypeReg, 0o644, ""},
		{"etc/flavor-image", tar.TypeReg, 0o644, "debian bookworm " + p.String() + " (flavor test image)\n"},
		{"usr/", tar.TypeDir, 0o755, ""},
		{"usr/share/", tar.TypeDir, 0o755, ""},
		{"usr/share/doc/", tar.TypeDir, 0o755, ""},
		{"usr/share/doc/.wh..wh..opq", tar.TypeReg, 0o644, ""},
		{"usr/share/doc/README", tar.TypeReg, 0o644, "Package documentation was removed from this image.\n"},
		{"var/", tar.TypeDir, 0o755, ""},
		{"var/cache/", tar.TypeDir, 0o755, ""},
		{"var/cache/apt/", tar.TypeDir, 0o755, ""},
		{"var/cache/apt/.wh.archives", tar.TypeReg, 0o644, ""},
	} {
		if err := add(e.name, e.typ, e.mode, e.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
