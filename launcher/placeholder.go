package launcher

import (
	"fmt"
	"strconv"
	"strings"
)

// placeholders expands {workenv}, {package_name}, {version}, {package} and {slot:N} in the strings
// of a package's metadata. Anything else in braces (a shell's ${HOME}, JSON in an argument) is left
// as it is.
type placeholders struct {
	workenv     string // the final workenv path, never a staging path
	packageName string
	version     string
	pkg         string // the .psp path
	// slot returns the extracted path of slot n, or ErrUnknownSlot; the launcher's version also
	// remembers n so a lazy slot gets extracted before the command runs.
	slot func(n int) (string, error)
}

// expand returns s with every known placeholder replaced.
func (p *placeholders) expand(s string) (string, error) {
	if strings.IndexByte(s, '{') < 0 {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s) + len(p.workenv))
	for {
		open := strings.IndexByte(s, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(s[open:], '}')
		if end < 0 {
			break
		}
		name := s[open+1 : open+end]
		val, known, err := p.value(name)
		if err != nil {
			return "", err
		}
		if known {
			b.WriteString(s[:open])
			b.WriteString(val)
			s = s[open+end+1:]
			continue
		}
		// Not ours: keep the brace and look again just after it, so "{{workenv}}" still expands.
		b.WriteString(s[:open+1])
		s = s[open+1:]
	}
	b.WriteString(s)
	return b.String(), nil
}

func (p *placeholders) value(name string) (string, bool, error) {
	switch name {
	case "workenv":
		return p.workenv, true, nil
	case "package_name":
		return p.packageName, true, nil
	case "version":
		return p.version, true, nil
	case "package":
		return p.pkg, true, nil
	}
	num, ok := strings.CutPrefix(name, "slot:")
	if !ok {
		return "", false, nil
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 {
		return "", false, fmt.Errorf("expanding {%s}: %w: %q is not a slot number", name, ErrUnknownSlot, num)
	}
	if p.slot == nil {
		return "", false, fmt.Errorf("expanding {%s}: %w", name, ErrUnknownSlot)
	}
	path, err := p.slot(n)
	if err != nil {
		return "", false, fmt.Errorf("expanding {%s}: %w", name, err)
	}
	return path, true, nil
}

// expandAll expands every string of ss into a new slice.
func (p *placeholders) expandAll(ss []string) ([]string, error) {
	out := make([]string, len(ss))
	for i, s := range ss {
		v, err := p.expand(s)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}
