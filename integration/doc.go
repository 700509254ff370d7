// Package integration holds end-to-end tests against a real Docker engine, a real registry on
// loopback and emulated foreign architectures. Its setup script (integration/setup.sh) installs
// and starts what the tests need; a test fails, never skips, when the engine cannot be had.
package integration
