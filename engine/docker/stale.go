package docker

import (
	"context"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/flavor-dev/flavor/engine"
)

func isNotFound(err error) bool { return client.IsErrNotFound(err) }

// Managed lists the containers carrying [engine.LabelManaged]; with run set, only that run's.
func (d *Docker) Managed(ctx context.Context, run string) ([]engine.ManagedContainer, error) {
	f := filters.NewArgs(filters.Arg("label", engine.LabelManaged+"=true"))
	if run != "" {
		f.Add("label", engine.LabelRun+"="+run)
	}
	list, err := d.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return nil, d.wrap(err, nil, "listing flavor's containers")
	}
	out := make([]engine.ManagedContainer, 0, len(list))
	for _, c := range list {
		out = append(out, engine.ManagedContainer{
			ID: c.ID, Run: c.Labels[engine.LabelRun], Owner: c.Labels[engine.LabelOwner],
			OwnerNS: c.Labels[engine.LabelOwnerNS], Package: c.Labels[engine.LabelPackage],
			State: c.State, Created: time.Unix(c.Created, 0),
		})
	}
	return out, nil
}
