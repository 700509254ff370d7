package manifest

import (
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/flavor-dev/flavor/ops"
)

var (
	lifecycles = []string{"init", "startup", "runtime", "shutdown", "cache", "temporary", "lazy", "eager", "dev", "config", "platform"}
	purposes   = []string{"data", "code", "config", "media"}
)

// Lifecycles returns the slot lifecycle names, in the order of their PSPF codes 0–10.
func Lifecycles() []string { return slices.Clone(lifecycles) }

// Purposes returns the slot purpose names, in the order of their PSPF codes 0–3 (0 data, 1 code,
// 2 config, 3 media).
func Purposes() []string { return slices.Clone(purposes) }

// Operations returns the operation names a slot's chain may use (ops.Names).
func Operations() []string { return ops.Names() }

// lifecycleAliases are names FlavorPack's documents and builders use for our lifecycles.
var lifecycleAliases = map[string]string{"cached": "cache", "temp": "temporary", "volatile": "startup", "persistent": "cache"}

// purposeAliases are FlavorPack's longer purpose names.
var purposeAliases = map[string]string{
	"configuration": "config", "static-resources": "media", "data-files": "data",
	"application-code": "code", "python-environment": "code", "payload": "data", "runtime": "code",
}

const (
	defaultPurpose   = "data"
	defaultLifecycle = "runtime"
	defaultPriority  = 128
	defaultPlatform  = "any"
	defaultTarget    = "."
)

var slotKeys = []string{"id", "name", "source", "operations", "purpose", "lifecycle", "priority", "platform", "extract_to", "target", "permissions"}

// decodeSlots reads [[slots]], or FlavorPack's [slots] with entries = [...] / [[slots.entries]].
func decodeSlots(t *table) []Slot {
	v, ok := t.m["slots"]
	if !ok {
		return nil
	}
	var elems []*table
	if _, isTable := v.(map[string]any); isTable {
		st := t.sub("slots")
		st.known("entries")
		if _, ok := st.m["entries"]; !ok {
			st.errorf("", "a [slots] table lists its slots under entries: [[slots.entries]]; or write [[slots]]")
		}
		elems = st.tables("entries")
	} else {
		elems = t.tables("slots")
	}
	var out []Slot
	firstAt := map[string]int{}
	for i, e := range elems {
		s := decodeSlot(e)
		if s.ID != "" {
			if j, dup := firstAt[s.ID]; dup {
				key := "id"
				if _, ok := e.m["id"]; !ok {
					key = "name"
				}
				e.errorf(key, "slot id %q is already used by slot %d; slot ids must be unique", s.ID, j)
			} else {
				firstAt[s.ID] = i
			}
		}
		out = append(out, s)
	}
	return out
}

func decodeSlot(t *table) Slot {
	t.known(slotKeys...)
	s := Slot{Purpose: defaultPurpose, Lifecycle: defaultLifecycle, Priority: defaultPriority, Platform: defaultPlatform, Target: defaultTarget}
	s.ID = slotID(t)
	if src, ok := t.str("source"); ok {
		s.Source = src
	}
	if strings.TrimSpace(s.Source) == "" {
		if _, present := t.m["source"]; !present {
			t.missingf("", "source is required: the file or directory the slot is made from")
		} else if _, isString := t.m["source"].(string); isString {
			t.errorf("source", "empty path")
		}
	}
	s.Operations = decodeOperations(t)
	if p, ok := t.str("purpose"); ok {
		if a, alias := purposeAliases[p]; alias && t.d.python {
			p = a // FlavorPack's own spelling, in FlavorPack's Python workflow
		}
		if !slices.Contains(purposes, p) {
			t.errorf("purpose", "unknown purpose %q; want %s%s", p, strings.Join(purposes, ", "), aliasHint(p, purposeAliases, purposes))
		} else {
			s.Purpose = p
		}
	}
	if l, ok := t.str("lifecycle"); ok {
		if a, alias := lifecycleAliases[l]; alias && t.d.python {
			l = a
		}
		if !slices.Contains(lifecycles, l) {
			t.errorf("lifecycle", "unknown lifecycle %q; want one of %s%s", l, strings.Join(lifecycles, ", "), aliasHint(l, lifecycleAliases, lifecycles))
		} else {
			s.Lifecycle = l
		}
	}
	if n, ok := t.integer("priority"); ok {
		if n < 0 || n > 255 {
			t.errorf("priority", "%d is out of range; want 0 to 255", n)
		} else {
			s.Priority = uint8(n)
		}
	}
	if p, ok := t.str("platform"); ok {
		norm, err := normalizeSlotPlatform(p)
		if err != nil {
			t.errorf("platform", "%v", err)
		} else {
			s.Platform = norm
		}
	}
	if target, ok := slotTarget(t); ok {
		s.Target = target
	}
	s.Permissions = decodePermissions(t)
	return s
}

// slotID reads id, or FlavorPack's name for it.
func slotID(t *table) string {
	id, hasID := t.str("id")
	name, hasName := t.str("name")
	_, idPresent := t.m["id"]
	_, namePresent := t.m["name"]
	switch {
	case hasID && hasName && id != name:
		t.errorf("name", "give id or name (FlavorPack's spelling), not both")
		return id
	}
	key := "id"
	if hasName && !hasID {
		id, key = name, "name"
	}
	switch {
	case !idPresent && !namePresent:
		t.missingf("", "id is required: a name for the slot, e.g. id = \"config\"")
	case id == "" && (hasID || hasName):
		t.errorf(key, "empty slot id")
	case id != "" && !validID(id):
		t.errorf(key, "%q: use letters, digits, '_', and '.' or '-' after the first character", id)
	}
	return id
}

// slotTarget reads target, or FlavorPack's extract_to for it.
func slotTarget(t *table) (string, bool) {
	target, hasTarget := t.str("target")
	extract, hasExtract := t.str("extract_to")
	switch {
	case hasTarget && hasExtract && target != extract:
		t.errorf("extract_to", "give extract_to or target, not both")
		return "", false
	case hasExtract:
		target = extract
	case !hasTarget:
		return "", false
	}
	if target == "" {
		t.errorf("target", "empty target; use \".\" for the workenv root")
		return "", false
	}
	return target, true
}

// aliasHint suggests the name FlavorPack's spelling stands for, or the nearest valid one.
func aliasHint(word string, aliases map[string]string, valid []string) string {
	if a, ok := aliases[word]; ok {
		return fmt.Sprintf("; did you mean %q?", a)
	}
	return didYouMean(word, valid)
}

// decodeOperations reads operations as a list (["tar", "zstd"]) or a string ("tar.zst", "tgz",
// "tar|gzip", "raw") with the operations vocabulary (ops.ParseChain): tar first if at all, then
// up to seven operations this flavor can write. It returns the canonical operation names.
func decodeOperations(t *table) []string {
	v, ok := t.m["operations"]
	if !ok {
		return nil
	}
	var chain ops.Chain
	var err error
	switch x := v.(type) {
	case string:
		if strings.TrimSpace(x) == "" {
			t.errorf("operations", "empty; write \"raw\" for no operations")
			return nil
		}
		chain, err = ops.ParseChain(x)
	case []any:
		words := make([]string, 0, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				t.errorf("operations", "element %d: expected a string, got %s", i, typeName(e))
				return nil
			}
			words = append(words, s)
		}
		if len(words) == 0 {
			return []string{}
		}
		chain, err = ops.ParseChainList(words)
	default:
		t.wrongType("operations", "a string such as \"tar.zst\" or a list such as [\"tar\", \"zstd\"]", v)
		return nil
	}
	if err == nil {
		err = chain.CheckWritable()
	}
	if err != nil {
		t.errorf("operations", "%v", err)
		return nil
	}
	return chain.Names()
}

// decodePermissions reads permissions as an octal string ("0755", "755", "0o755") or an integer
// (0o755 in TOML).
func decodePermissions(t *table) fs.FileMode {
	v, ok := t.m["permissions"]
	if !ok {
		return 0
	}
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case string:
		s := strings.TrimPrefix(strings.TrimPrefix(x, "0o"), "0O")
		p, err := strconv.ParseInt(s, 8, 64)
		if err != nil || s == "" {
			t.errorf("permissions", "%q: want octal mode bits such as \"0755\"", x)
			return 0
		}
		n = p
	default:
		t.wrongType("permissions", "an octal string such as \"0755\" or an integer such as 0o755", v)
		return 0
	}
	if n < 0 || n > 0o7777 {
		t.errorf("permissions", "%#o is out of range; want 0 to 07777", n)
		return 0
	}
	mode := fs.FileMode(n & 0o777)
	if n&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	if n&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if n&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}
