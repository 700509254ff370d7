// Package portable works out, at pack time, how a package's dynamically linked ELF program starts
// from the package's own files on a host that has none of its libraries (another libc, or no libc
// at all): the dynamic loader named by its PT_INTERP and the directories holding the closure of
// its DT_NEEDED libraries, searched the way the loader would (DT_RPATH/DT_RUNPATH with $ORIGIN,
// the tree's /etc/ld.so.conf, the default directories), all inside the package's tree.
//
// A Tree is the package's files as the launcher lays them out in the workenv: tar streams
// (AddTar) and directories (AddDir), later ones over earlier ones, symlinks to absolute paths
// meaning the file of the tree (the slot rule of package packer). Tree.Program resolves one
// command; a library the closure needs and the tree lacks is an error naming the library, the
// object that needs it and the fix. ELF headers are read only for the objects of the closure.
//
// The launcher then starts the program as `LOADER --library-path DIRS --inhibit-cache --argv0
// ARGV0 PROGRAM ARGS…` (glibc's ld.so, 2.33 or newer), the way exodus does it.
package portable
