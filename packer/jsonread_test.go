package packer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// parseMetadataStd is ParseMetadata as it was written with encoding/json: the reference the
// small decoder is held to.
func parseMetadataStd(b []byte) (*Metadata, error) {
	var m Metadata
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	for k, v := range all {
		if !knownKeys[k] {
			if m.Extra == nil {
				m.Extra = map[string]json.RawMessage{}
			}
			m.Extra[k] = v
		}
	}
	if m.Execution.Env == nil {
		m.Execution.Env = m.Execution.Environment
	}
	if m.Execution.Environment == nil {
		m.Execution.Environment = m.Execution.Env
	}
	m.raw = b
	return &m, nil
}

// sameAsStd fails t when ParseMetadata and encoding/json disagree about data: both must refuse it,
// or both accept it with equal values. The one allowed difference: ParseMetadata refuses a key
// named twice (as soon as it sees it) where encoding/json keeps the last.
func sameAsStd(t *testing.T, data []byte) {
	t.Helper()
	got, err := ParseMetadata(data)
	want, werr := parseMetadataStd(data)
	if errors.Is(err, errDuplicateKey) {
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("error does not wrap ErrMalformed: %v", err)
		}
		return
	}
	if (err == nil) != (werr == nil) {
		t.Fatalf("ParseMetadata error %v, encoding/json error %v, for %q", err, werr, data)
	}
	if err != nil {
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("error does not wrap ErrMalformed: %v", err)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded differently from encoding/json, for %q:\n got %#v\nwant %#v", data, got, want)
	}
}

func TestMetadataDecoderMatchesEncodingJSON(t *testing.T) {
	for name, doc := range map[string]string{
		"empty object":        `{}`,
		"null":                ` null `,
		"nested null":         `{"package":null,"runtime":null,"slots":null,"execution":{"env":null,"args":null}}`,
		"empty containers":    `{"slots":[],"execution":{"args":[],"env":{}},"runtime":{},"workenv":{"directories":[]}}`,
		"null elements":       `{"slots":[null],"execution":{"args":[null,"a"],"env":{"A":null}},"setup_commands":[null]}`,
		"case-folded keys":    `{"FORMAT":"x","Package":{"NAME":"n"},"ſlots":[{"ID":"k"}],"K":1}`,
		"escapes":             `{"format":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00\ud800\udc00x\ud800\u0041\udc00"}`,
		"invalid utf-8":       "{\"format\":\"a\xffb\xed\xa0\x80c\",\"\xfe\":1}",
		"numbers":             `{"slots":[{"slot":-0,"size":9223372036854775807,"priority":-5,"permissions":4294967295}]}`,
		"perm forms":          `{"slots":[{"permissions":"0755"},{"permissions":"0o644"},{"permissions":null},{"permissions":""}]}`,
		"setup forms":         `{"setup_commands":["ls",{"type":"write_file","path":"p","content":"c","mode":"0600"},{"mode":null},{"mode":420,"enumerate":{"path":"a","pattern":"*"}}]}`,
		"extra values":        `{"zzz":[1,2,{"a":null}],"provenance":{"x":"y"},"n":-1.5e+3,"t":true}`,
		"signals":             `{"execution":{"signals":{"forward":true,"shutdown_timeout":7}}}`,
		"unknown nested":      `{"package":{"name":"a","other":[{"deep":{}}]},"build":{"tool":"t","host":"h"}}`,
		"white space":         " \t\r\n{ \"format\" : \"f\" , \"slots\" : [ ] } \n",
		"bad: trailing":       `{} x`,
		"bad: top array":      `[]`,
		"bad: top string":     `"s"`,
		"bad: empty":          ``,
		"bad: float int":      `{"slots":[{"size":1.5}]}`,
		"bad: exp int":        `{"slots":[{"size":1e3}]}`,
		"bad: int overflow":   `{"slots":[{"size":9223372036854775808}]}`,
		"bad: neg perm":       `{"slots":[{"permissions":-1}]}`,
		"bad: neg zero perm":  `{"slots":[{"permissions":-0}]}`,
		"bad: big perm":       `{"slots":[{"permissions":4294967296}]}`,
		"bad: octal perm":     `{"slots":[{"permissions":"0999"}]}`,
		"bad: bool perm":      `{"slots":[{"permissions":true}]}`,
		"bad: string int":     `{"slots":[{"slot":"1"}]}`,
		"bad: number string":  `{"format":1}`,
		"bad: bool":           `{"verification":{"signed":"yes"}}`,
		"bad: setup number":   `{"setup_commands":[1]}`,
		"bad: leading zero":   `{"slots":[{"slot":01}]}`,
		"bad: control char":   "{\"format\":\"a\x01\"}",
		"bad: bad escape":     `{"format":"\x"}`,
		"bad: short u":        `{"format":"\u12"}`,
		"bad: missing colon":  `{"format" "x"}`,
		"bad: trailing comma": `{"format":"x",}`,
		"bad: unclosed":       `{"format":"x"`,
		"bad: map of int":     `{"execution":{"env":{"A":1}}}`,
		"bad: literal":        `{"verification":{"signed":tru}}`,
		"bad: object key":     `{1:2}`,
		"deep unknown":        `{"x":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`,
		"bad: too deep":       `{"x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
	} {
		t.Run(name, func(t *testing.T) {
			sameAsStd(t, []byte(doc))
			if _, err := ParseMetadata([]byte(doc)); strings.HasPrefix(name, "bad:") && err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestMetadataDecoderRefusesDuplicateKeys(t *testing.T) {
	for _, doc := range []string{
		`{"format":"a","format":"b"}`,
		`{"format":"a","FORMAT":"b"}`,
		`{"zzz":1,"zzz":2}`,
		`{"package":{"name":"a","Name":"b"}}`,
		`{"execution":{"env":{"A":"1","A":"2"}}}`,
		`{"slots":[{"id":"a","id":"a"}]}`,
		`{"setup_commands":[{"mode":1,"mode":2}]}`,
	} {
		if _, err := ParseMetadata([]byte(doc)); !errors.Is(err, errDuplicateKey) || !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want a duplicate-key error wrapping ErrMalformed", doc, err)
		}
	}
	// Keys that differ are fine, in unknown content too.
	if _, err := ParseMetadata([]byte(`{"execution":{"env":{"A":"1","a":"2"}},"zzz":{"k":1,"k":2}}`)); err != nil {
		t.Fatal(err)
	}
}

// FuzzMetadataDecoder holds ParseMetadata to encoding/json on arbitrary documents.
func FuzzMetadataDecoder(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		p, err := NewPackage(context.Background(), bytes.NewReader(s), int64(len(s)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p.Metadata().JSON())
	}
	f.Add([]byte(`{"execution":{"env":{"A":"1"}},"slots":[{"permissions":493}],"setup_commands":["x",{"mode":"0755"}],"zzz":[1,2]}`))
	f.Add([]byte(`{"FORMAT":"\ud800x","Slots":[{"SIZE":-0}],"k":null}`))
	f.Fuzz(func(t *testing.T, data []byte) { sameAsStd(t, data) })
}

// BenchmarkParseMetadata decodes the metadata of a multi-slot package with ParseMetadata and,
// beside it, with encoding/json the way ParseMetadata used to (a cold launch parses it once).
func BenchmarkParseMetadata(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "multi-slot.psp"))
	if err != nil {
		b.Fatal(err)
	}
	p, err := NewPackage(context.Background(), bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		b.Fatal(err)
	}
	doc := p.Metadata().JSON()
	for _, bc := range []struct {
		name  string
		parse func([]byte) (*Metadata, error)
	}{{"ours", ParseMetadata}, {"encoding-json", parseMetadataStd}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := bc.parse(doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
