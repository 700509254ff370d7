package specs

import (
	"context"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"
)

// readValues reads values files (--values) into one map: a later file beats an earlier one, and
// nested maps are merged key by key (Luet's precedence, luet-reference.md §1.2).
func readValues(ctx context.Context, files []string) (map[string]any, error) {
	merged := map[string]any{}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading values file: %w", err)
		}
		root, err := yamlDoc(f, data)
		if err != nil {
			return nil, err
		}
		if root == nil {
			continue
		}
		if root.Kind != yaml.MappingNode {
			return nil, specErr(f, root.Line, nil, "a values file must be a mapping of keys to values")
		}
		var m map[string]any
		if err := root.Decode(&m); err != nil {
			return nil, specErr(f, root.Line, nil, "decoding values: %v", err)
		}
		merged = mergeValues(merged, normalizeMap(m))
	}
	return merged, nil
}

// mergeValues returns a new map holding base overlaid with over: over wins, and where both hold
// a map under the same key the two are merged the same way. Neither input is modified.
func mergeValues(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		bm, bok := out[k].(map[string]any)
		om, ook := v.(map[string]any)
		if bok && ook {
			out[k] = mergeValues(bm, om)
			continue
		}
		out[k] = v
	}
	return out
}

// normalizeMap turns every nested map into map[string]any (YAML allows non-string keys), so
// values can be merged, templated and hashed as JSON.
func normalizeMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = normalizeValue(v)
	}
	return out
}

func normalizeValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return normalizeMap(t)
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[fmt.Sprint(k)] = normalizeValue(e)
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = normalizeValue(e)
		}
		return out
	}
	return v
}
