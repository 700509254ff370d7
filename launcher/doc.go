// Package launcher is the run-time half of a .psp: it verifies the package it is part of, extracts
// its slots once into a content-keyed cache, builds the child's environment and command, and runs it.
// The executable at the front of every package is launcher/cmd/flavor-launcher.
package launcher
