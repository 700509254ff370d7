// Package docker is the container engine reached through the Docker API: a local dockerd, a
// remote one ([WithHost]("tcp://…"), which cmd/flavor takes from $DOCKER_HOST), or any engine
// speaking that API. The package reads no environment. [Docker] implements
// engine.Engine and the optional engine.OverlayReader (overlay2 on a local engine),
// engine.EmulationChecker (binfmt_misc, or a `uname -m` probe on a remote engine),
// engine.ContainerLister and engine.ImageLister.
//
// Images are loaded as docker-archive streams written by go-containerregistry straight into the
// image-load API; every container carries the dev.flavor.* labels of package engine.
package docker
