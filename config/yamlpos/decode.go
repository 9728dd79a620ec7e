// Package yamlpos decodes the YAML files admins write (rules, mappings)
// strictly, keeping the line and column of every node, so that a problem
// found while decoding or long after (a reference, an expression) is
// reported as file:line:col: path: message. Process settings go through
// viper in config; these files do not, because viper folds key case and
// forgets positions. mappings and pipelines share it.
package yamlpos

import (
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Pos is a position in a YAML file.
type Pos struct{ Line, Col int }

// Doc is one decoded YAML file: where each path sits, so that checks made
// after decoding (references, expressions) still point at a line and column.
type Doc struct {
	File string
	Pos  map[string]Pos
	// Keys holds the positions of mapping keys, for errors about a name
	// rather than its value.
	Keys map[string]Pos
}

// Errorf returns an error at the position of path, or at the nearest
// enclosing path that has one.
func (d *Doc) Errorf(path, format string, args ...any) *Error {
	p := d.Find(path)
	return &Error{File: d.File, Line: p.Line, Col: p.Col, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// KeyErrorf returns an error at the key of path, falling back to Errorf.
func (d *Doc) KeyErrorf(path, format string, args ...any) *Error {
	p, ok := d.Keys[path]
	if !ok {
		return d.Errorf(path, format, args...)
	}
	return &Error{File: d.File, Line: p.Line, Col: p.Col, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Given reports whether path was written in the file.
func (d *Doc) Given(path string) bool {
	_, ok := d.Keys[path]
	return ok
}

// Find returns the position of path or of its nearest recorded ancestor.
func (d *Doc) Find(path string) Pos {
	for {
		if p, ok := d.Pos[path]; ok {
			return p
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return d.Pos[""]
		}
		path = path[:i]
	}
}

// DecodeFile parses data strictly into v: unknown fields, wrong kinds and
// unparsable scalars are all reported with their positions, not only the
// first. yaml.v3's KnownFields stops at the first problem and gives no
// column, which is why the node tree is walked here.
func DecodeFile(file string, data []byte, v any) (*Doc, Errors) {
	d := &Doc{File: file, Pos: map[string]Pos{}, Keys: map[string]Pos{}}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return d, Errors{yamlSyntaxError(file, err)}
	}
	if root.Kind == 0 {
		return d, nil // An empty file decodes to the zero value.
	}
	node := &root
	if node.Kind == yaml.DocumentNode && len(node.Content) > 0 {
		node = node.Content[0]
	}
	d.Pos[""] = Pos{node.Line, node.Column}
	var errs Errors
	d.walk(node, reflect.ValueOf(v).Elem(), "", &errs)
	return d, errs
}

// yamlSyntaxError turns yaml.v3's "yaml: line 3: ..." into a positioned
// error; the library gives no column for syntax errors, so the column is 1.
func yamlSyntaxError(file string, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.Index(rest, ":"); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				line, msg = n, strings.TrimSpace(rest[i+1:])
			}
		}
	}
	if line == 0 {
		return &Error{File: file, Msg: msg}
	}
	return &Error{File: file, Line: line, Col: 1, Msg: msg}
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a scalar"
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}

func (d *Doc) walk(n *yaml.Node, v reflect.Value, path string, errs *Errors) {
	d.Pos[path] = Pos{n.Line, n.Column}
	if n.Kind == yaml.AliasNode {
		*errs = append(*errs, d.at(n, path, "aliases are not supported"))
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // Leave the zero value.
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.walk(n, v.Elem(), path, errs)
		return
	}
	if v.CanAddr() && (v.Addr().Type().Implements(unmarshalerType) || v.Addr().Type().Implements(textUnmarshalerType)) {
		if err := n.Decode(v.Addr().Interface()); err != nil {
			*errs = append(*errs, d.at(n, path, "%s", cleanYAMLError(err)))
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			*errs = append(*errs, d.at(n, path, "want a mapping, got %s", kindName(n.Kind)))
			return
		}
		fields := structFields(v.Type())
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			idx, ok := fields[k.Value]
			if !ok {
				*errs = append(*errs, d.at(k, path, "unknown field %q", k.Value))
				continue
			}
			if seen[k.Value] {
				*errs = append(*errs, d.at(k, path, "field %q given twice", k.Value))
				continue
			}
			seen[k.Value] = true
			d.Pos[p] = Pos{k.Line, k.Column}
			d.Keys[p] = Pos{k.Line, k.Column}
			d.walkValue(val, v.FieldByIndex(idx), p, errs)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			*errs = append(*errs, d.at(n, path, "want a mapping, got %s", kindName(n.Kind)))
			return
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			key := reflect.New(v.Type().Key()).Elem()
			if err := k.Decode(key.Addr().Interface()); err != nil {
				*errs = append(*errs, d.at(k, path, "bad key %q: %s", k.Value, cleanYAMLError(err)))
				continue
			}
			if v.MapIndex(key).IsValid() {
				*errs = append(*errs, d.at(k, path, "key %q given twice", k.Value))
				continue
			}
			d.Pos[p] = Pos{k.Line, k.Column}
			d.Keys[p] = Pos{k.Line, k.Column}
			elem := reflect.New(v.Type().Elem()).Elem()
			d.walkValue(val, elem, p, errs)
			v.SetMapIndex(key, elem)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			*errs = append(*errs, d.at(n, path, "want a list, got %s", kindName(n.Kind)))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.walk(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i), errs)
		}
		v.Set(s)
	case reflect.Interface:
		var x any
		if err := n.Decode(&x); err != nil {
			*errs = append(*errs, d.at(n, path, "%s", cleanYAMLError(err)))
			return
		}
		if x != nil {
			v.Set(reflect.ValueOf(x))
		}
	default:
		if n.Kind != yaml.ScalarNode {
			*errs = append(*errs, d.at(n, path, "want a %s, got %s", v.Kind(), kindName(n.Kind)))
			return
		}
		if err := n.Decode(v.Addr().Interface()); err != nil {
			*errs = append(*errs, d.at(n, path, "cannot read %q as a %s", n.Value, v.Kind()))
		}
	}
}

// walkValue records the value's position under path as well as the key's,
// so that errors about a value point at the value.
func (d *Doc) walkValue(n *yaml.Node, v reflect.Value, path string, errs *Errors) {
	keyPos := d.Pos[path]
	d.walk(n, v, path, errs)
	if n.Kind == yaml.ScalarNode {
		d.Pos[path] = Pos{n.Line, n.Column}
	} else {
		d.Pos[path] = keyPos
	}
}

func (d *Doc) at(n *yaml.Node, path, format string, args ...any) *Error {
	return &Error{File: d.File, Line: n.Line, Col: n.Column, Path: path, Msg: fmt.Sprintf(format, args...)}
}

func cleanYAMLError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "line ") {
		msg = msg[i+2:]
	}
	return strings.TrimPrefix(msg, "unmarshal errors:\n  ")
}

// structFields maps yaml names to field indexes, following inline fields.
func structFields(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") && f.Type.Kind() == reflect.Struct {
			for k, idx := range structFields(f.Type) {
				out[k] = append([]int{i}, idx...)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = []int{i}
	}
	return out
}
