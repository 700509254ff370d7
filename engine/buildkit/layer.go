package buildkit

import (
	"bytes"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// topLayer returns the one layer of the image in an OCI layout directory.
func topLayer(dir string) (io.ReadCloser, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	if len(m.Manifests) != 1 {
		return nil, fmt.Errorf("%d manifests, want 1", len(m.Manifests))
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		return nil, err
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	switch len(layers) {
	case 0: // no difference: an empty layer
		return io.NopCloser(bytes.NewReader(make([]byte, 1024))), nil
	case 1:
	default:
		return nil, fmt.Errorf("the diff has %d layers, want 1", len(layers))
	}
	return layers[0].Uncompressed()
}
