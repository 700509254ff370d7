package pkgdb

import (
	"bytes"
	"encoding/csv"
	"path"
	"regexp"
	"strings"
)

var pypiSeparators = regexp.MustCompile(`[-_.]+`)

// NormalizePyPI normalizes a distribution name as PEP 503 and purl do: lower case, runs of
// "-", "_" and "." become one "-".
func NormalizePyPI(name string) string {
	return pypiSeparators.ReplaceAllString(strings.ToLower(name), "-")
}

// IsDistInfoFile reports whether p (a tree path) is the METADATA or RECORD file of a
// *.dist-info directory, and returns that directory.
func IsDistInfoFile(p string) (dir string, ok bool) {
	dir, base := path.Split(clean(p))
	dir = strings.TrimSuffix(dir, "/")
	if !strings.HasSuffix(dir, ".dist-info") || (base != "METADATA" && base != "RECORD") {
		return "", false
	}
	return dir, true
}

// DistInfo reads an installed Python distribution from its *.dist-info directory: dir is the
// directory's tree path, metadata and record the bytes of its METADATA and RECORD files
// (record may be nil). The files are those RECORD lists, as tree paths (RECORD's paths are
// relative to the directory holding the .dist-info).
func DistInfo(dir string, metadata, record []byte) (Package, bool) {
	p := Package{Type: "pypi"}
	// METADATA is an email-style header block followed by the description body.
	head, _, _ := bytes.Cut(metadata, []byte("\n\n"))
	var classifiers []string
	paragraphs(bytes.NewReader(head), func(f map[string]string) error {
		p.Name, p.Version = f["Name"], f["Version"]
		p.Description = f["Summary"]
		if l := f["License-Expression"]; l != "" {
			p.Licenses = []string{l}
		} else if l := f["License"]; l != "" && !strings.Contains(l, "\n") && len(l) < 100 {
			p.Licenses = []string{l}
		}
		return nil
	})
	for _, line := range strings.Split(string(head), "\n") {
		if c, ok := strings.CutPrefix(line, "Classifier: License :: "); ok {
			classifiers = append(classifiers, c)
		}
	}
	if len(p.Licenses) == 0 && len(classifiers) > 0 {
		parts := strings.Split(classifiers[0], " :: ")
		p.Licenses = []string{parts[len(parts)-1]}
	}
	if p.Name == "" || p.Version == "" {
		return Package{}, false
	}
	if record != nil {
		base := path.Dir(clean(dir))
		rows, err := csv.NewReader(bytes.NewReader(record)).ReadAll()
		if err == nil {
			for _, row := range rows {
				if len(row) == 0 || row[0] == "" {
					continue
				}
				f := path.Join(base, row[0])
				if base == "." {
					f = clean(row[0])
				}
				if strings.HasPrefix(f, "../") {
					continue // installed outside the tree (scripts in bin/ of a venv are inside)
				}
				p.Files = append(p.Files, f)
			}
		}
	}
	return p, true
}
