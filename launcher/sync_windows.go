//go:build windows

package launcher

// isSyncUnsupported is always true on Windows: directories cannot be flushed there, and a rename
// is made durable by the file system itself.
func isSyncUnsupported(error) bool { return true }
