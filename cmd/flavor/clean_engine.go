package main

import (
	"context"
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/oci"
)

// cacheImageRepos are the engine repositories builds keep as a cache: package images (the
// committed package stage, tagged by cache key) and requires_final_images roots.
var cacheImageRepos = []string{"flavor.local/pkg", "flavor.local/join"}

// buildLeftovers returns the cleaners of what builds leave outside the cache directory.
func buildLeftovers(c *cli.Context) []leftoverCleaner {
	return []leftoverCleaner{engineLeftovers{c: c}}
}

// engineLeftovers removes, from the container engine, the containers of flavor processes that
// were killed (engine.RemoveStale) and the cached package and join images (engine.ImageLister), when
// the engine has those capabilities. An engine that cannot be reached is reported as kept, not
// as an error: clean must work where nothing is built.
type engineLeftovers struct{ c *cli.Context }

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
	for _, repo := range cacheImageRepos {
		images, err := lister.ImagesNamed(ctx, repo)
		if err != nil {
			return items, err
		}
		for _, im := range images {
			for i, tag := range im.RepoTags {
				it := cleanItem{Path: tag, Kind: "cached build image"}
				if i == 0 {
					it.Bytes = im.Size // the image's bytes go with its last name; count them once
				}
				if !dryRun {
					if err := d.RemoveImage(ctx, tag); err != nil && !errors.Is(err, oci.ErrImageNotFound) {
						return items, err
					}
				}
				items = append(items, it)
			}
		}
	}
	return items, nil
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
