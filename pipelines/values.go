package pipelines

import (
	"bytes"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strings"
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

// Props returns the properties in order.
func (vs Values) Props() []string {
	ps := make([]string, len(vs))
	for i, v := range vs {
		ps[i] = v.Prop
	}
	return ps
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
// encoding/json writes a map.
func (vs Values) MarshalJSON() ([]byte, error) {
	if vs == nil {
		return []byte("null"), nil
	}
	var b bytes.Buffer
	// The caller's encoder escapes HTML, or not, as it would a map's.
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, v := range vs {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := enc.Encode(v.Prop); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1) // Encode's newline
		b.WriteByte(':')
		if err := enc.Encode(v.Value); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object of strings, as a map[string]string was
// saved.
func (vs *Values) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("values: %w", err)
	}
	*vs = ValuesOf(m)
	return nil
}
