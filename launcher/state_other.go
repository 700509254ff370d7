//go:build !unix

package launcher

import "io/fs"

// checkPrivate: Windows ACLs are not checked; the link and directory checks still apply.
func checkPrivate(string, fs.FileInfo) error { return nil }

// noFollow: Windows has no O_NOFOLLOW; the directories holding state are checked instead.
const noFollow = 0
