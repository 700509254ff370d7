package sbom

import "github.com/flavor-dev/flavor/pkgdb"

type pkgdbPackage = pkgdb.Package

// assignOwners sets each file's Owner to the package (by purl) whose file list names it, when
// the file has no owner yet.
func assignOwners(files []File, pkgs []pkgdb.Package) []File {
	if len(pkgs) == 0 {
		return files
	}
	owner := map[string]string{}
	for _, p := range pkgs {
		for _, f := range p.Files {
			owner[f] = p.PURL()
		}
	}
	out := append([]File(nil), files...)
	for i := range out {
		if out[i].Owner == "" {
			out[i].Owner = owner[out[i].Path]
		}
	}
	return out
}
