package sbom

import (
	"regexp"
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"
)

// debianLicenses maps the short names Debian copyright files use most to SPDX identifiers.
var debianLicenses = map[string]string{
	"gpl-1+": "GPL-1.0-or-later", "gpl-2": "GPL-2.0-only", "gpl-2+": "GPL-2.0-or-later",
	"gpl-3": "GPL-3.0-only", "gpl-3+": "GPL-3.0-or-later",
	"lgpl-2": "LGPL-2.0-only", "lgpl-2+": "LGPL-2.0-or-later", "lgpl-2.1": "LGPL-2.1-only",
	"lgpl-2.1+": "LGPL-2.1-or-later", "lgpl-3": "LGPL-3.0-only", "lgpl-3+": "LGPL-3.0-or-later",
	"agpl-3": "AGPL-3.0-only", "agpl-3+": "AGPL-3.0-or-later",
	"gfdl-1.3": "GFDL-1.3-only", "gfdl-1.3+": "GFDL-1.3-or-later",
	"expat": "MIT", "bsd-2-clause": "BSD-2-Clause", "bsd-3-clause": "BSD-3-Clause",
	"bsd-4-clause": "BSD-4-Clause", "isc": "ISC", "zlib": "Zlib", "apache-2.0": "Apache-2.0",
	"artistic": "Artistic-1.0-Perl", "mpl-2.0": "MPL-2.0", "cc0-1.0": "CC0-1.0",
	"public-domain": "LicenseRef-public-domain", "psf-2": "PSF-2.0", "unicode-dfs-2016": "Unicode-DFS-2016",
}

var notIDChar = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

// validExpression reports whether s is an SPDX license expression of listed licenses.
func validExpression(s string) bool {
	if strings.TrimSpace(s) == "" {
		return false
	}
	ok, _ := spdxexp.ValidateLicenses([]string{s})
	return ok
}

// spdxID turns one license name as a distribution states it into an SPDX identifier: a listed
// id as is, a known Debian short name mapped, anything else a LicenseRef-. ref reports the
// last case.
func spdxID(name string) (id string, ref bool) {
	if validExpression(name) && !strings.ContainsAny(name, " ()") {
		return name, false
	}
	if id, ok := debianLicenses[strings.ToLower(name)]; ok {
		return id, strings.HasPrefix(id, "LicenseRef-")
	}
	return "LicenseRef-" + strings.Trim(notIDChar.ReplaceAllString(name, "-"), "-"), true
}

// declared returns a component's license as an SPDX expression ("" when unknown) and the
// LicenseRef- names it uses with the names they stand for.
func declared(c Component) (expr string, refs map[string]string) {
	if validExpression(c.License) {
		return c.License, nil
	}
	names := c.Licenses
	if len(names) == 0 && c.License != "" {
		names = []string{c.License}
	}
	var ids []string
	seen := map[string]bool{}
	for _, n := range names {
		id, ref := spdxID(n)
		if seen[id] {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
		if ref {
			if refs == nil {
				refs = map[string]string{}
			}
			refs[id] = n
		}
	}
	return strings.Join(ids, " AND "), refs
}
