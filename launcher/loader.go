package launcher

// throughLoader returns what starts the program at path through the package's own dynamic
// loader (see package portable): the loader, with the package's library directories, no
// ld.so.cache of the host, and argv[0] kept as the command gave it. The program then sees the
// loader as /proc/self/exe and its own name in argv[0].
func (c *command) throughLoader(path string) (string, []string) {
	argv := make([]string, 0, len(c.argv)+6)
	argv = append(argv, c.argv[0], "--library-path", c.libPath, "--inhibit-cache", "--argv0", c.argv[0], path)
	return c.loader, append(argv, c.argv[1:]...)
}
