package pipelines

import (
	"math"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/alusta/alusta/mappings"
)

// cond is a compiled condition of the rules. Most conditions admins write
// compare fields with constants (stage != "new", kind in ["palaute",
// "reklamaatio"], units > 5, joined with and, or, not); such a condition
// is also made into Go functions over the record's typed fields, which
// need no environment map and no virtual machine. Every condition is run
// on expr's VM where it has another shape, and by rules check, explain and
// the checks at load; the two give the same answer (TestFastConds), and
// deciding stays the same with the functions off (TestFastCondsDecide).
//
// Running conditions on expr's VM over a map[string]any environment was a
// fifth of deciding a record: filling the map, boxing every value into it,
// and the VM's map lookups and dispatch for a string comparison.
type cond struct {
	*vm.Program
	fast func(*view) bool // nil: run on the VM
}

// newCond makes a condition of a compiled program over the fields of
// objectType; nil stays nil.
func newCond(p *vm.Program, objectType string) *cond {
	if p == nil {
		return nil
	}
	fc := fastCompiler{fields: mappings.FieldNames(objectType)}
	return &cond{Program: p, fast: fc.bool(p.Node())}
}

// fastCompiler makes the Go functions of a condition; each method returns
// nil for a shape it does not know, and the condition runs on the VM.
type fastCompiler struct {
	fields []string // mappings.FieldNames of the object type
}

// operand is a string or number side of a comparison: a field's value by
// index, or a constant.
type operand struct {
	field int // -1: the constant
	str   string
	num   float64
	// declines is the number of providers that declined the order.
	declines bool
}

func (o operand) text(v *view) string {
	if o.field < 0 {
		return o.str
	}
	return v.str[o.field]
}

func (o operand) number(v *view) float64 {
	switch {
	case o.declines:
		return float64(v.declines)
	case o.field < 0:
		return o.num
	}
	return v.num[o.field]
}

// text is a string operand: a text field, alusta's stage name, or a
// string constant.
func (fc fastCompiler) text(n ast.Node) (operand, bool) {
	switch n := n.(type) {
	case *ast.StringNode:
		return operand{field: -1, str: n.Value}, true
	case *ast.ConstantNode:
		s, ok := n.Value.(string)
		return operand{field: -1, str: s}, ok
	case *ast.IdentifierNode:
		i := slices.Index(fc.fields, n.Value)
		if i < 0 || numericFields[n.Value] {
			return operand{}, false
		}
		return operand{field: i}, true
	}
	return operand{}, false
}

// number is a numeric operand: a numeric field, declines, or a number
// constant that a float64 holds exactly (expr compares ints as ints).
func (fc fastCompiler) number(n ast.Node) (operand, bool) {
	switch n := n.(type) {
	case *ast.IntegerNode:
		f := float64(n.Value)
		return operand{field: -1, num: f}, math.Abs(f) <= 1<<53
	case *ast.FloatNode:
		return operand{field: -1, num: n.Value}, true
	case *ast.IdentifierNode:
		if n.Value == "declines" {
			return operand{field: -1, declines: true}, true
		}
		i := slices.Index(fc.fields, n.Value)
		if i < 0 || !numericFields[n.Value] {
			return operand{}, false
		}
		return operand{field: i}, true
	}
	return operand{}, false
}

// bool makes a boolean node into a function, or nil.
func (fc fastCompiler) bool(n ast.Node) func(*view) bool {
	switch n := n.(type) {
	case *ast.BoolNode:
		b := n.Value
		return func(*view) bool { return b }
	case *ast.ConstantNode:
		if b, ok := n.Value.(bool); ok {
			return func(*view) bool { return b }
		}
	case *ast.UnaryNode:
		if n.Operator != "!" && n.Operator != "not" {
			return nil
		}
		if f := fc.bool(n.Node); f != nil {
			return func(v *view) bool { return !f(v) }
		}
	case *ast.BinaryNode:
		return fc.binary(n)
	}
	return nil
}

func (fc fastCompiler) binary(n *ast.BinaryNode) func(*view) bool {
	switch n.Operator {
	case "&&", "and", "||", "or":
		l, r := fc.bool(n.Left), fc.bool(n.Right)
		if l == nil || r == nil {
			return nil
		}
		if n.Operator == "&&" || n.Operator == "and" {
			return func(v *view) bool { return l(v) && r(v) }
		}
		return func(v *view) bool { return l(v) || r(v) }
	case "in":
		return fc.in(n)
	case "contains", "startsWith", "endsWith":
		l, okl := fc.text(n.Left)
		r, okr := fc.text(n.Right)
		if !okl || !okr {
			return nil
		}
		f := map[string]func(string, string) bool{"contains": strings.Contains, "startsWith": strings.HasPrefix, "endsWith": strings.HasSuffix}[n.Operator]
		return func(v *view) bool { return f(l.text(v), r.text(v)) }
	case "==", "!=":
		eq := n.Operator == "=="
		if l, ok := fc.text(n.Left); ok {
			if r, ok := fc.text(n.Right); ok {
				return textEqual(l, r, eq)
			}
			return nil
		}
		l, okl := fc.number(n.Left)
		r, okr := fc.number(n.Right)
		if !okl || !okr {
			return nil
		}
		if eq {
			return func(v *view) bool { return l.number(v) == r.number(v) }
		}
		return func(v *view) bool { return l.number(v) != r.number(v) }
	case "<", ">", "<=", ">=":
		l, okl := fc.number(n.Left)
		r, okr := fc.number(n.Right)
		if !okl || !okr {
			return nil
		}
		switch n.Operator {
		case "<":
			return func(v *view) bool { return l.number(v) < r.number(v) }
		case ">":
			return func(v *view) bool { return l.number(v) > r.number(v) }
		case "<=":
			return func(v *view) bool { return l.number(v) <= r.number(v) }
		default:
			return func(v *view) bool { return l.number(v) >= r.number(v) }
		}
	}
	return nil
}

// textEqual compares two string operands; a field with a constant, the
// usual shape, without reading the constant through the operand.
func textEqual(l, r operand, eq bool) func(*view) bool {
	if l.field < 0 && r.field >= 0 {
		l, r = r, l
	}
	if l.field >= 0 && r.field < 0 {
		i, s := l.field, r.str
		if eq {
			return func(v *view) bool { return v.str[i] == s }
		}
		return func(v *view) bool { return v.str[i] != s }
	}
	if eq {
		return func(v *view) bool { return l.text(v) == r.text(v) }
	}
	return func(v *view) bool { return l.text(v) != r.text(v) }
}

// in is a text operand in a list of string constants; expr's optimiser
// has made most such lists a set.
func (fc fastCompiler) in(n *ast.BinaryNode) func(*view) bool {
	l, ok := fc.text(n.Left)
	if !ok {
		return nil
	}
	var set []string
	switch r := n.Right.(type) {
	case *ast.ConstantNode:
		m, ok := r.Value.(map[string]struct{})
		if !ok {
			return nil
		}
		for s := range m {
			set = append(set, s)
		}
	case *ast.ArrayNode:
		for _, e := range r.Nodes {
			s, ok := e.(*ast.StringNode)
			if !ok {
				return nil
			}
			set = append(set, s.Value)
		}
	default:
		return nil
	}
	return func(v *view) bool { return slices.Contains(set, l.text(v)) }
}
