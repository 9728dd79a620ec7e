package pipelines

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"unicode/utf8"
)

// Values is a few property values, property -> value, kept sorted by
// property. A decision writes a handful of properties and remembers as
// many: as a map each cost a header and a 288-byte group to make and a
// hash for every look, a third of all deciding allocated; as a slice it
// is one small array, read in order.
//
// Its JSON is an object, as a map's was, so that states saved before
// load unchanged; nil is null and empty {} as with a map.
type Values []Value

// Value is one property's value.
type Value struct {
	Prop, Value string
}

// ValuesOf returns m's values in property order; nil for a nil map.
func ValuesOf(m map[string]string) Values {
	if m == nil {
		return nil
	}
	vs := make(Values, 0, len(m))
	for p, v := range m {
		vs = append(vs, Value{p, v})
	}
	slices.SortFunc(vs, byProp)
	return vs
}

func byProp(a, b Value) int { return strings.Compare(a.Prop, b.Prop) }

// find returns where p is or would go, and whether it is there. A
// decision's values are few, so a scan beats a binary search.
func (vs Values) find(p string) (int, bool) {
	for i := range vs {
		if vs[i].Prop >= p {
			return i, vs[i].Prop == p
		}
	}
	return len(vs), false
}

// Get returns p's value, or "" when p has none.
func (vs Values) Get(p string) string {
	v, _ := vs.Lookup(p)
	return v
}

// Lookup returns p's value and whether p has one.
func (vs Values) Lookup(p string) (string, bool) {
	if i, ok := vs.find(p); ok {
		return vs[i].Value, true
	}
	return "", false
}

// Has reports whether p has a value.
func (vs Values) Has(p string) bool {
	_, ok := vs.find(p)
	return ok
}

// Set gives p the value v.
func (vs *Values) Set(p, v string) { *vs = vs.with(p, v) }

// with returns vs with p set to v, in vs's array when it has room. Unlike
// Set it keeps a caller's array on the stack (see finish).
func (vs Values) with(p, v string) Values {
	i, ok := vs.find(p)
	if ok {
		vs[i].Value = v
		return vs
	}
	return slices.Insert(vs, i, Value{p, v})
}

// Delete drops p's value, if it has one.
func (vs *Values) Delete(p string) {
	if i, ok := vs.find(p); ok {
		*vs = slices.Delete(*vs, i, i+1)
	}
}

// Len is the number of properties with a value.
func (vs Values) Len() int { return len(vs) }

// All yields every property and its value in property order.
func (vs Values) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, v := range vs {
			if !yield(v.Prop, v.Value) {
				return
			}
		}
	}
}

// Map returns the values as a new map, for a caller that needs one (a
// HubSpot batch input); nil for nil.
func (vs Values) Map() map[string]string {
	if vs == nil {
		return nil
	}
	m := make(map[string]string, len(vs))
	for _, v := range vs {
		m[v.Prop] = v.Value
	}
	return m
}

// Clone returns a copy; nil stays nil.
func (vs Values) Clone() Values { return slices.Clone(vs) }

// MarshalJSON writes the values as an object, in property order, as
// encoding/json writes a map: every record's memory is saved after it is
// decided, so this is written by hand rather than through an Encoder,
// which took half as long again as the map did.
func (vs Values) MarshalJSON() ([]byte, error) {
	if vs == nil {
		return []byte("null"), nil
	}
	n := 2
	for _, v := range vs {
		n += len(v.Prop) + len(v.Value) + 6
	}
	b := append(make([]byte, 0, n), '{')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendJSONString(b, v.Prop), ':')
		b = appendJSONString(b, v.Value)
	}
	return append(b, '}'), nil
}

// appendJSONString appends s quoted as encoding/json quotes a string,
// except for HTML's <, > and &: the encoder that called MarshalJSON
// escapes those, or not, as it was told to. Printable ASCII, as property
// names and most values are, is copied as it is; anything else is left
// to encoding/json, which knows every escape and what to do with bad
// UTF-8.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(s) // a string always encodes
			return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
		}
	}
	return append(append(append(b, '"'), s...), '"')
}

// UnmarshalJSON reads an object of strings, as a map[string]string was
// saved: null is nil, and of a property given twice the last value counts.
// It reads the object itself, as MarshalJSON writes it, and leaves to
// encoding/json only the strings with escapes in them.
func (vs *Values) UnmarshalJSON(b []byte) error {
	r := valuesReader{b: b}
	r.space()
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*vs = nil
		return nil
	}
	if !r.next('{') {
		return errValuesJSON
	}
	out := make(Values, 0, 4)
	r.space()
	if !r.next('}') {
		for {
			r.space()
			p, err := r.str()
			if err != nil {
				return err
			}
			r.space()
			if !r.next(':') {
				return errValuesJSON
			}
			r.space()
			v, err := r.str()
			if err != nil {
				return err
			}
			out = append(out, Value{p, v})
			r.space()
			if r.next('}') {
				break
			}
			if !r.next(',') {
				return errValuesJSON
			}
		}
	}
	if !slices.IsSortedFunc(out, byProp) {
		slices.SortStableFunc(out, byProp)
	}
	// A property given twice keeps its last value, as in a map.
	j := 0
	for i := range out {
		if j > 0 && out[j-1].Prop == out[i].Prop {
			out[j-1] = out[i]
			continue
		}
		out[j] = out[i]
		j++
	}
	*vs = out[:j]
	return nil
}

var errValuesJSON = errors.New("pipelines: property values: want a JSON object of strings")

// valuesReader reads the JSON of an object of strings.
type valuesReader struct {
	b []byte
	i int
}

func (r *valuesReader) space() {
	for r.i < len(r.b) && (r.b[r.i] == ' ' || r.b[r.i] == '\t' || r.b[r.i] == '\n' || r.b[r.i] == '\r') {
		r.i++
	}
}

// next takes c if it comes next.
func (r *valuesReader) next(c byte) bool {
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// str reads a string. One without escapes, valid UTF-8, is its bytes;
// any other goes through encoding/json, which knows every escape and
// what it does with bad UTF-8.
func (r *valuesReader) str() (string, error) {
	if !r.next('"') {
		return "", errValuesJSON
	}
	start := r.i
	plain := true
	for ; r.i < len(r.b); r.i++ {
		switch r.b[r.i] {
		case '\\':
			plain = false
			r.i++ // the escaped byte is never the closing quote
		case '"':
			raw := r.b[start:r.i]
			r.i++
			if plain && utf8.Valid(raw) {
				return string(raw), nil
			}
			var s string
			if err := json.Unmarshal(r.b[start-1:r.i], &s); err != nil {
				return "", fmt.Errorf("pipelines: property values: %w", err)
			}
			return s, nil
		}
	}
	return "", errValuesJSON
}
