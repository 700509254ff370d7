//go:build !linux && !darwin

package launcher

import "io/fs"

// changeFacts: elsewhere (Windows) the record holds size and modification time only.
func changeFacts(fs.FileInfo) (int64, uint64) { return 0, 0 }
