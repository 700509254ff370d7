package launcher

import (
	"io/fs"
	"syscall"
)

// changeFacts returns an entry's change time (ns) and inode number.
func changeFacts(fi fs.FileInfo) (int64, uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ctimespec.Nano(), st.Ino
	}
	return 0, 0
}
