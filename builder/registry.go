package builder

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/flavor-dev/flavor/oci"
	"github.com/flavor-dev/flavor/progress"
)

// artifactRef is where a build's artifacts live in a registry: REPO:<cache key hex>.
func artifactRef(repo string, n *node) string { return repo + ":" + n.hex }

// push stores the entry's files as one OCI artifact under the --push repository.
func (b *builder) push(ctx context.Context, n *node, e *CacheEntry) error {
	var files []string
	for _, m := range e.Artifacts {
		files = append(files, filepath.Join(e.Dir, m.Artifact), filepath.Join(e.Dir, metaName(m)))
	}
	ref := artifactRef(b.o.push, n)
	if _, err := oci.PushArtifact(ctx, ref, files, b.o.registry...); err != nil {
		return fmt.Errorf("pushing the artifacts of %s for %s to %s: %w", n.id(), n.platform, ref, err)
	}
	b.rep.send(progress.Event{Stage: StagePushed, Package: n.id(), Platform: n.platform.String(), Message: ref})
	return nil
}

// pull fetches n's artifacts from the --pull repository into the cache. Any failure (most often:
// nobody pushed this key) means building it here, and is only logged.
func (b *builder) pull(ctx context.Context, n *node) (*CacheEntry, bool) {
	ref := artifactRef(b.o.pull, n)
	stage, err := b.o.cache.stage()
	if err != nil {
		b.o.logger.Warn("pulling an artifact", "ref", ref, "err", err)
		return nil, false
	}
	defer os.RemoveAll(stage)
	if _, err := oci.PullArtifact(ctx, ref, stage, b.o.registry...); err != nil {
		b.o.logger.Debug("artifact not pulled; building it", "ref", ref, "err", err)
		return nil, false
	}
	e, err := b.o.cache.Put(ctx, n.key, stage)
	if err != nil {
		b.o.logger.Warn("discarding a pulled artifact", "ref", ref, "err", err)
		return nil, false
	}
	return e, true
}
