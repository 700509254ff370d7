package specs

import (
	"strconv"

	"go.yaml.in/yaml/v3"
)

// expand returns n as luet's YAML reader (yaml.v2 behind ghodss/yaml) sees it, so that the
// strict checks apply to what is actually read:
//
//   - a merge key (`<<: *anchor`, or `<<: [*a, *b]`) brings in the keys of the mapping(s) it
//     names; the mapping's own keys win over merged ones, and an earlier mapping of a list over
//     a later one;
//   - a key written twice in one mapping is kept once, the last one winning, with a warning
//     (an error when strict).
//
// Nodes that need no change are returned as they are; the others are copies, so an anchor
// used in several places is never modified. Each node is expanded once (anchors used many
// times cost nothing more), and an anchor that contains itself is an error.
func (c *checker) expand(n *yaml.Node, path string) (*yaml.Node, error) {
	if n == nil {
		return nil, nil
	}
	if out, ok := c.expanded[n]; ok {
		return out, nil
	}
	if c.expanded == nil {
		c.expanded = map[*yaml.Node]*yaml.Node{}
		c.expanding = map[*yaml.Node]bool{}
	}
	if c.expanding[n] {
		return nil, c.errf(n, "anchor %q contains itself", n.Anchor)
	}
	c.expanding[n] = true
	defer delete(c.expanding, n)
	out := n
	var err error
	switch n.Kind {
	case yaml.AliasNode:
		var target *yaml.Node
		if target, err = c.expand(n.Alias, path); err == nil && target != n.Alias {
			cp := *n
			cp.Alias = target
			out = &cp
		}
	case yaml.SequenceNode:
		out, err = c.expandSequence(n, path)
	case yaml.MappingNode:
		out, err = c.expandMapping(n, path, true)
	}
	if err != nil {
		return nil, err
	}
	c.expanded[n] = out
	return out, nil
}

func (c *checker) expandSequence(n *yaml.Node, path string) (*yaml.Node, error) {
	var content []*yaml.Node
	for i, e := range n.Content {
		x, err := c.expand(e, path+"["+strconv.Itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		if x != e && content == nil {
			content = append(make([]*yaml.Node, 0, len(n.Content)), n.Content[:i]...)
		}
		if content != nil {
			content = append(content, x)
		}
	}
	if content == nil {
		return n, nil
	}
	cp := *n
	cp.Content = content
	return &cp, nil
}

// expandMapping applies merge keys and collapses repeated keys of one mapping; deep expands
// the values too (collection.yaml's top level is expanded shallowly: each package entry is
// expanded on its own, so that its problems are its own).
func (c *checker) expandMapping(n *yaml.Node, path string, deep bool) (*yaml.Node, error) {
	type pair struct{ k, v *yaml.Node }
	pairs := make([]pair, 0, len(n.Content)/2)
	index := map[string]int{}
	var merged []*yaml.Node
	changed := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			ms, err := c.mergeSources(v, path)
			if err != nil {
				return nil, err
			}
			merged = append(merged, ms...)
			changed = true
			continue
		}
		if deep {
			x, err := c.expand(v, join(path, k.Value))
			if err != nil {
				return nil, err
			}
			changed = changed || x != v
			v = x
		}
		if k.Kind != yaml.ScalarNode {
			pairs = append(pairs, pair{k, v})
			continue
		}
		if j, dup := index[k.Value]; dup {
			if err := c.warn(k, "key %q appears twice in %s (first on line %d); the last one is used, as luet does", k.Value, c.describe(path), c.line(pairs[j].k)); err != nil {
				return nil, err
			}
			pairs[j] = pair{k, v}
			changed = true
			continue
		}
		index[k.Value] = len(pairs)
		pairs = append(pairs, pair{k, v})
	}
	if !changed {
		return n, nil
	}
	for _, m := range merged {
		for i := 0; i+1 < len(m.Content); i += 2 {
			k := m.Content[i]
			if k.Kind == yaml.ScalarNode {
				if _, ok := index[k.Value]; ok {
					continue
				}
				index[k.Value] = len(pairs)
			}
			pairs = append(pairs, pair{k, m.Content[i+1]})
		}
	}
	cp := *n
	cp.Content = make([]*yaml.Node, 0, 2*len(pairs))
	for _, p := range pairs {
		cp.Content = append(cp.Content, p.k, p.v)
	}
	return &cp, nil
}

// mergeSources returns the expanded mappings a merge key's value names, in order of
// precedence.
func (c *checker) mergeSources(v *yaml.Node, path string) ([]*yaml.Node, error) {
	x, err := c.expand(v, path)
	if err != nil {
		return nil, err
	}
	items := []*yaml.Node{x}
	if deref(x).Kind == yaml.SequenceNode {
		items = deref(x).Content
	}
	out := make([]*yaml.Node, 0, len(items))
	for _, it := range items {
		m := deref(it)
		if m.Kind != yaml.MappingNode {
			return nil, c.errf(it, "a merge key (<<) in %s takes a mapping or a list of mappings, not %s", c.describe(path), kindName(m))
		}
		out = append(out, m)
	}
	return out, nil
}

// deref follows aliases.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}
