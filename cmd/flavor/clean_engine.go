package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/oci"
)

// cacheImageRepos are the engine repositories builds keep as a cache: package images (the
// committed package stage, tagged by cache key) and requires_final_images roots.
var cacheImageRepos = []string{builder.PackageImageRepo, builder.JoinImageRepo}

// buildLeftovers returns the cleaners of what builds leave outside the cache directory. keys are
// the cache keys (hex) of this cache's artifacts, read before the cache was removed; with
// everyImage, the engine's cached build images go whoever made them.
func buildLeftovers(c *cli.Context, keys map[string]bool, everyImage bool) []leftoverCleaner {
	return []leftoverCleaner{engineLeftovers{c: c, keys: keys, everyImage: everyImage}}
}

// engineLeftovers removes, from the container engine, the containers of flavor processes that
// were killed (engine.RemoveStale) and the cached package and join images (engine.ImageLister)
// this cache's artifacts reference, when the engine has those capabilities. The engine may be
// shared (CI runners): images of other caches are kept unless everyImage, and an image a
// container uses is always kept; both are reported. An engine that cannot be reached is
// reported as kept, not as an error: clean must work where nothing is built.
type engineLeftovers struct {
	c          *cli.Context
	keys       map[string]bool
	everyImage bool
}

func (e engineLeftovers) Clean(ctx context.Context, dryRun bool) ([]cleanItem, error) {
	d, err := openEngine(e.c, buildLogger(e.c))
	if errors.Is(err, engine.ErrEngineUnreachable) {
		return []cleanItem{{Path: "container engine", Kind: "build leftovers", Reason: "engine not reachable; nothing checked"}}, nil
	}
	if err != nil {
		return nil, err
	}
	defer d.Close()
	var items []cleanItem
	if !dryRun {
		ids, err := engine.RemoveStale(ctx, d)
		for _, id := range ids {
			items = append(items, cleanItem{Path: "container " + shortID(id), Kind: "leftover build container"})
		}
		if err != nil {
			return items, err
		}
	}
	lister, ok := d.(engine.ImageLister)
	if !ok {
		return append(items, cleanItem{Path: d.Name(), Kind: "cached build images", Reason: "the engine cannot list its images; nothing checked"}), nil
	}
	others := cleanItem{Path: strings.Join(cacheImageRepos, ", "), Kind: "cached build images"}
	var otherCount int
	for _, repo := range cacheImageRepos {
		images, err := lister.ImagesNamed(ctx, repo)
		if err != nil {
			return items, err
		}
		for _, im := range images {
			first, counted := true, false // an image's bytes are counted once
			for _, tag := range im.RepoTags {
				r, hex, _ := strings.Cut(tag, ":")
				if r != repo {
					continue // another repository's name (listed with it), or one the user gave
				}
				if !e.everyImage && !e.keys[hex] {
					otherCount++
					if !counted {
						others.Bytes, counted = others.Bytes+im.Size, true
					}
					continue
				}
				it := cleanItem{Path: tag, Kind: "cached build image"}
				if first {
					it.Bytes, first = im.Size, false
				}
				if !dryRun {
					err := d.RemoveImage(ctx, tag)
					switch {
					case errors.Is(err, engine.ErrImageInUse):
						it.Reason = "in use by a container"
					case err != nil && !errors.Is(err, oci.ErrImageNotFound):
						return items, err
					}
				}
				items = append(items, it)
			}
		}
	}
	if otherCount > 0 {
		others.Reason = fmt.Sprintf("%d not referenced by this cache's artifacts (another cache's, or another user's on a shared engine); --engine-images removes them", otherCount)
		items = append(items, others)
	}
	return items, nil
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
