# The flavor tool's own image: flavor (with the launchers it embeds, when the launcher sources are
# present) built in GO_IMAGE, copied onto BASE. Builds offline when the context carries a vendor/
# directory (`go mod vendor`) and both images are in the engine, e.g.:
#
#   go mod vendor
#   docker build --build-arg GO_IMAGE=my/go:1.26 --build-arg BASE=busybox -t flavor .
#   docker run --rm flavor --version
#
# integration/build_dockerfile_test.go does exactly that with images made from local root
# filesystems (busybox, plus the host's /usr/local/go).
ARG GO_IMAGE=golang:1.26
ARG BASE=busybox

FROM ${GO_IMAGE} AS build
ARG VERSION=dev
ENV PATH=/usr/local/go/bin:/go/bin:$PATH \
    CGO_ENABLED=0 \
    GOTOOLCHAIN=local \
    GOCACHE=/tmp/go-build \
    GOPATH=/go
WORKDIR /src
COPY . .
RUN set -e; \
    mod=; [ -d vendor ] && mod=-mod=vendor; \
    if [ -d launcher/cmd/flavor-launcher ]; then \
        for p in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64; do \
            os=${p%/*}; arch=${p#*/}; ext=; [ "$os" = windows ] && ext=.exe; \
            GOOS=$os GOARCH=$arch go build $mod -trimpath -buildvcs=false -ldflags='-s -w -buildid=' \
                -o launcher/embedded/bin/flavor-launcher-$os-$arch$ext ./launcher/cmd/flavor-launcher; \
        done; \
    fi; \
    go build $mod -trimpath -buildvcs=false -ldflags="-s -w -X main.version=${VERSION}" -o /out/flavor ./cmd/flavor

FROM ${BASE}
COPY --from=build /out/flavor /usr/local/bin/flavor
ENTRYPOINT ["/usr/local/bin/flavor"]
