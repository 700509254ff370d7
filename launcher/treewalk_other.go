//go:build !linux

package launcher

// walkFacts: elsewhere the portable walk (see treewalk_linux.go).
func walkFacts(b []byte, root string, skip map[string]bool) ([]byte, error) {
	return walkFactsPortable(b, root, skip)
}

// lstatFacts: elsewhere the portable one (see treewalk_linux.go).
func lstatFacts(root string, rels []string, out []treeFact) { lstatFactsPortable(root, rels, out) }
