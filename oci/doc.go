// Package oci handles images and containers: references, platforms, digests, pulling and loading
// images (go-containerregistry), base images made from a root filesystem, and the container engine
// reached through the Docker API.
package oci
