package packer

// This file maps the metadata JSON onto its structs with the decoder of jsonread.go.

import (
	"encoding/json"
	"fmt"
)

// JSON field names of the metadata's structs, in the order of the switches below.
var (
	metadataFields     = []string{"format", "format_version", "package", "slots", "execution", "runtime", "workenv", "setup_commands", "cache_validation", "verification", "build", "integrity"}
	packageFields      = []string{"name", "version", "description"}
	slotFields         = []string{"slot", "id", "source", "target", "size", "checksum", "operations", "purpose", "lifecycle", "permissions", "priority", "platform"}
	executionFields    = []string{"primary_slot", "command", "args", "cwd", "env", "environment", "path_prepend", "path_append", "signals", "loader", "library_path"}
	signalsFields      = []string{"forward", "shutdown_timeout"}
	runtimeFields      = []string{"env"}
	runtimeEnvFields   = []string{"unset", "pass", "map", "set"}
	workenvFields      = []string{"directories", "env"}
	workenvDirFields   = []string{"path", "mode"}
	setupFields        = []string{"type", "command", "path", "content", "mode", "enumerate"}
	enumerateFields    = []string{"path", "pattern"}
	cacheFields        = []string{"check_file", "expected_content"}
	verificationFields = []string{"integrity_seal", "signed", "require_verification"}
	sealFields         = []string{"required", "algorithm"}
	buildFields        = []string{"tool", "tool_version", "timestamp", "deterministic"}
	integrityFields    = []string{"launcher_size", "launcher_sha256", "descriptors"}
)

// decodeMetadata fills m from the metadata JSON b; unknown top-level keys go to m.Extra.
func decodeMetadata(b []byte, m *Metadata) error {
	d := &jsonReader{b: b}
	if d.peek() == 'n' { // encoding/json accepts a null document and leaves everything zero
		if err := d.literal("null"); err != nil {
			return err
		}
		return d.end()
	}
	if d.peek() != '{' {
		if err := d.skip(); err != nil {
			return err
		}
		return d.typeError("an object")
	}
	// A key that is not exactly a known one goes to Extra, even when it matches a field
	// case-insensitively and so also sets that field (what two json.Unmarshal calls did).
	var seen uint64
	err := d.object(func(key []byte) error {
		k := matchField(metadataFields, key)
		exact := k >= 0 && metadataFields[k] == string(key)
		if !exact {
			if _, dup := m.Extra[string(key)]; dup {
				return fmt.Errorf("%w: %q", errDuplicateKey, key)
			}
		}
		d.space()
		start := d.i
		var err error
		switch {
		case k < 0:
			err = d.skip()
		case seen&(1<<k) != 0:
			return fmt.Errorf("%w: %q", errDuplicateKey, key)
		default:
			seen |= 1 << k
			err = d.metadataField(m, k)
		}
		if err == nil && !exact {
			if m.Extra == nil {
				m.Extra = map[string]json.RawMessage{}
			}
			m.Extra[string(key)] = d.b[start:d.i:d.i]
		}
		return err
	})
	if err != nil {
		return err
	}
	return d.end()
}

func (d *jsonReader) metadataField(m *Metadata, k int) error {
	switch k {
	case 0:
		return d.stringInto(&m.Format)
	case 1:
		return d.stringInto(&m.FormatVersion)
	case 2:
		p := &m.Package
		return d.fields(packageFields, func(k int) error {
			return d.stringInto([]*string{&p.Name, &p.Version, &p.Description}[k])
		})
	case 3:
		return arrayInto(d, &m.Slots, d.slot)
	case 4:
		return d.execution(&m.Execution)
	case 5:
		return pointerTo(d, &m.Runtime, func(r *Runtime) error {
			return d.fields(runtimeFields, func(int) error {
				e := &r.Env
				return d.fields(runtimeEnvFields, func(k int) error {
					switch k {
					case 0:
						return d.stringsInto(&e.Unset)
					case 1:
						return d.stringsInto(&e.Pass)
					case 2:
						return d.stringMapInto(&e.Map)
					}
					return d.stringMapInto(&e.Set)
				})
			})
		})
	case 6:
		return pointerTo(d, &m.Workenv, d.workenv)
	case 7:
		return arrayInto(d, &m.SetupCommands, d.setupCommand)
	case 8:
		return pointerTo(d, &m.CacheValidation, func(c *CacheValidation) error {
			return d.fields(cacheFields, func(k int) error {
				return d.stringInto([]*string{&c.CheckFile, &c.ExpectedContent}[k])
			})
		})
	case 9:
		return pointerTo(d, &m.Verification, d.verification)
	case 10:
		return pointerTo(d, &m.Build, func(b *BuildInfo) error {
			return d.fields(buildFields, func(k int) error {
				if k == 3 {
					return d.boolInto(&b.Deterministic)
				}
				return d.stringInto([]*string{&b.Tool, &b.ToolVersion, &b.Timestamp}[k])
			})
		})
	}
	return pointerTo(d, &m.Integrity, func(in *Integrity) error {
		return d.fields(integrityFields, func(k int) error {
			switch k {
			case 0:
				return d.int64Into(&in.LauncherSize)
			case 1:
				return d.stringInto(&in.LauncherSHA256)
			}
			return d.stringsInto(&in.Descriptors)
		})
	})
}

// arrayInto reads an array into *dst with elem decoding each element into a zero value: null
// is a nil slice, [] an empty one.
func arrayInto[T any](d *jsonReader, dst *[]T, elem func(*T) error) error {
	if null, err := d.null(); null || err != nil {
		*dst = nil
		return err
	}
	out := []T{}
	err := d.array(func() error {
		var v T
		err := elem(&v)
		out = append(out, v)
		return err
	})
	*dst = out
	return err
}

// pointerTo decodes an object into a new *T (nil for a null).
func pointerTo[T any](d *jsonReader, dst **T, fill func(*T) error) error {
	if null, err := d.null(); null || err != nil {
		*dst = nil
		return err
	}
	v := new(T)
	*dst = v
	return fill(v)
}

func (d *jsonReader) slot(s *SlotInfo) error {
	return d.fields(slotFields, func(k int) error {
		switch k {
		case 0:
			return d.intInto(&s.Slot)
		case 4:
			return d.int64Into(&s.Size)
		case 9:
			return d.perm(&s.Permissions)
		case 10:
			return d.intInto(&s.Priority)
		case 11:
			return d.stringInto(&s.Platform)
		}
		return d.stringInto([]*string{1: &s.ID, 2: &s.Source, 3: &s.Target, 5: &s.Checksum, 6: &s.Operations,
			7: &s.Purpose, 8: &s.Lifecycle}[k])
	})
}

func (d *jsonReader) execution(e *Execution) error {
	return d.fields(executionFields, func(k int) error {
		switch k {
		case 0:
			return d.intInto(&e.PrimarySlot)
		case 1:
			return d.stringInto(&e.Command)
		case 2:
			return d.stringsInto(&e.Args)
		case 3:
			return d.stringInto(&e.Cwd)
		case 4:
			return d.stringMapInto(&e.Env)
		case 5:
			return d.stringMapInto(&e.Environment)
		case 6:
			return d.stringsInto(&e.PathPrepend)
		case 7:
			return d.stringsInto(&e.PathAppend)
		case 9:
			return d.stringInto(&e.Loader)
		case 10:
			return d.stringsInto(&e.LibraryPath)
		}
		return pointerTo(d, &e.Signals, func(s *Signals) error {
			return d.fields(signalsFields, func(k int) error {
				if k == 0 {
					return d.boolInto(&s.Forward)
				}
				return d.intInto(&s.ShutdownTimeout)
			})
		})
	})
}

func (d *jsonReader) workenv(w *Workenv) error {
	return d.fields(workenvFields, func(k int) error {
		if k == 1 {
			return d.stringMapInto(&w.Env)
		}
		return arrayInto(d, &w.Directories, func(dir *WorkenvDir) error {
			return d.fields(workenvDirFields, func(k int) error {
				if k == 0 {
					return d.stringInto(&dir.Path)
				}
				return d.perm(&dir.Mode)
			})
		})
	})
}

// perm reads a Perm like Perm.UnmarshalJSON: an octal string, a number, or null (0).
func (d *jsonReader) perm(dst *Perm) error {
	switch c := d.peek(); {
	case c == 'n':
		*dst = 0
		return d.literal("null")
	case c == '"':
		s, err := d.str()
		if err != nil {
			return err
		}
		v, err := parseOctal(s)
		*dst = Perm(v)
		return err
	case c == '-' || c >= '0' && c <= '9':
		negative := c == '-' // even "-0": encoding/json reads unsigned numbers with ParseUint
		n, err := d.integer(0, 1<<32-1)
		if err == nil && negative {
			err = d.typeError("an unsigned number")
		}
		if err != nil {
			return fmt.Errorf("permissions must be an octal string or a number: %w", err)
		}
		*dst = Perm(n)
		return nil
	}
	if err := d.skip(); err != nil {
		return err
	}
	return d.typeError("an octal string or a number (permissions)")
}

// setupCommand reads one entry like SetupCommand.UnmarshalJSON: a string, an object (whose mode
// is read like a Perm) or null.
func (d *jsonReader) setupCommand(c *SetupCommand) error {
	switch d.peek() {
	case 'n':
		return d.literal("null")
	case '"':
		var err error
		c.Command, err = d.str()
		return err
	case '{':
		return d.fields(setupFields, func(k int) error {
			switch k {
			case 4:
				if null, err := d.null(); null || err != nil {
					c.Mode = nil
					return err
				}
				var p Perm
				err := d.perm(&p)
				v := uint32(p)
				c.Mode = &v
				return err
			case 5:
				return pointerTo(d, &c.Enumerate, func(e *Enumerate) error {
					return d.fields(enumerateFields, func(k int) error {
						return d.stringInto([]*string{&e.Path, &e.Pattern}[k])
					})
				})
			}
			return d.stringInto([]*string{&c.Type, &c.Command, &c.Path, &c.Content}[k])
		})
	}
	if err := d.skip(); err != nil {
		return err
	}
	return d.typeError("a setup command (a string or an object)")
}

func (d *jsonReader) verification(v *Verification) error {
	return d.fields(verificationFields, func(k int) error {
		switch k {
		case 0:
			s := &v.IntegritySeal
			return d.fields(sealFields, func(k int) error {
				if k == 0 {
					return d.boolInto(&s.Required)
				}
				return d.stringInto(&s.Algorithm)
			})
		case 1:
			return d.boolInto(&v.Signed)
		}
		return d.boolInto(&v.RequireVerification)
	})
}
