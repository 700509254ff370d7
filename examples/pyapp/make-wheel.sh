#!/bin/sh
# Remakes wheels/tinytable-*.whl from deps/tinytable in the Python image, reproducibly
# (SOURCE_DATE_EPOCH fixes the zip timestamps). The wheel is committed: builds use it through
# find_links with --no-index.
set -eu
cd "$(dirname "$0")"
mkdir -p wheels
docker run --rm -e SOURCE_DATE_EPOCH=1700000000 -v "$PWD/deps/tinytable:/src:ro" -v "$PWD/wheels:/wheels" \
	127.0.0.1:5000/debian:bookworm-python \
	sh -c 'cp -r /src /tmp/src && python3 -m pip wheel --no-deps --no-index --no-build-isolation -w /wheels /tmp/src'
