//go:build !unix

package main

import "errors"

func timing([]string) error { return errors.New("launchpack time needs wait4's resource usage (Unix)") }
