package pipelines

import (
	"fmt"
	"maps"
	"net/mail"
	"regexp"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/alusta/alusta/config/yamlpos"
	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/mappings"
)

// The checks here catch what compiles but cannot be meant: a stage value
// that does not exist, a name misspelt, a member who is no email address,
// a team or calendar nothing uses. Messages name routes and policies as
// admins know them, routes[2] "palaute", not only by position.

// itemNames maps a file's route and policy paths to the same path with
// the name: "routes[2]" -> `routes[2] "palaute"`.
func itemNames(f File) map[string]string {
	names := map[string]string{}
	for i, rt := range f.Routes {
		if rt.Name != "" {
			names[fmt.Sprintf("routes[%d]", i)] = fmt.Sprintf("routes[%d] %q", i, rt.Name)
		}
	}
	for i, p := range f.SLA {
		if p.Name != "" {
			names[fmt.Sprintf("sla[%d]", i)] = fmt.Sprintf("sla[%d] %q", i, p.Name)
		}
	}
	return names
}

// labelPath names the route or policy an error's path starts with.
func labelPath(e *yamlpos.Error, names map[string]string) *yamlpos.Error {
	head, rest := e.Path, ""
	if i := strings.IndexByte(e.Path, ']'); i >= 0 {
		head, rest = e.Path[:i+1], e.Path[i+1:]
	}
	if n, ok := names[head]; ok {
		e.Path = n + rest
	}
	return e
}

// validEmail accepts a bare address, as HubSpot owners log in with.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == "" && strings.Contains(s[strings.LastIndexByte(s, '@'):], ".")
}

var unknownNameRE = regexp.MustCompile(`^unknown name (\w+)`)

// suggestName adds "did you mean" to expr's unknown-name message.
func suggestName(msg string, env map[string]any) string {
	m := unknownNameRE.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	slices.Sort(names)
	if s := closest(m[1], names); s != "" {
		return fmt.Sprintf("%s (did you mean %s?)", msg, s)
	}
	return msg
}

// lintStages checks the string values an expression compares the stage
// with: `stage == "suljettu"` compiles, and is never true.
func (c *checker) lintStages(path, src string) {
	// The source's own tree: the compiled one has "in [...]" optimised
	// into a constant set.
	tree, err := parser.Parse(src)
	if err != nil || c.object == "" {
		return
	}
	known := mappings.StageNames(c.object)
	check := func(v string) {
		if v == "" || slices.Contains(known, v) {
			return
		}
		hint := ""
		if s := c.stageFor(v); s != "" {
			hint = fmt.Sprintf(" (did you mean %q? rules name stages, the mapping gives their labels)", s)
		} else if s := closest(v, known); s != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", s)
		}
		c.errorf(path, "unknown stage %q%s; stages are %s", v, hint, strings.Join(known, ", "))
	}
	ast.Find(tree.Node, func(n ast.Node) bool {
		b, ok := n.(*ast.BinaryNode)
		if !ok {
			return false
		}
		other := b.Right
		if isIdent(b.Right, "stage") {
			other = b.Left
		} else if !isIdent(b.Left, "stage") {
			return false
		}
		switch b.Operator {
		case "==", "!=":
			if s, ok := other.(*ast.StringNode); ok {
				check(s.Value)
			}
		case "in", "not in":
			if a, ok := other.(*ast.ArrayNode); ok {
				for _, e := range a.Nodes {
					if s, ok := e.(*ast.StringNode); ok {
						check(s.Value)
					}
				}
			}
		}
		return false
	})
}

func isIdent(n ast.Node, name string) bool {
	id, ok := n.(*ast.IdentifierNode)
	return ok && id.Value == name
}

// stageFor finds the stage whose label in the mapping is v, whatever the
// case: an admin writes "suljettu" for the label "Suljettu".
func (c *checker) stageFor(v string) string {
	o := c.m.Objects[c.object]
	if o == nil {
		return ""
	}
	for _, name := range mappings.StageNames(c.object) {
		if strings.EqualFold(o.Stages[name], v) {
			return name
		}
	}
	return ""
}

// closest is the candidate nearest to s by edit distance, when near
// enough to be a slip rather than another word.
func closest(s string, candidates []string) string {
	best, bestD := "", len(s)/2+1
	if bestD > 3 {
		bestD = 3
	}
	for _, c := range candidates {
		if d := distance(strings.ToLower(s), strings.ToLower(c)); d < bestD || (d == bestD && best == "" && d <= 2) {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// definition is a team or calendar and where it is defined.
type definition struct {
	kind, name, path string
	doc              *yamlpos.Doc
}

// unused warns about teams and calendars that no route or policy uses:
// often a misspelt reference elsewhere, or a leftover.
func unused(r *Rules, defs []definition) []string {
	used := map[string]bool{}
	for _, or := range r.objects {
		for _, rt := range or.routes {
			if rt.Assign != nil {
				used["team/"+rt.Assign.Pool] = true
			}
		}
		if or.referral != nil {
			used["calendar/"+or.referral.Calendar] = true
		}
		for _, p := range or.sla {
			used["calendar/"+p.Calendar] = true
			for _, g := range p.goals {
				if g.Calendar != "" {
					used["calendar/"+g.Calendar] = true
				}
			}
			if p.OnBreach.Reassign != "" {
				used["team/"+p.OnBreach.Reassign] = true
			}
		}
	}
	var out []string
	for _, d := range defs {
		if !used[d.kind+"/"+d.name] {
			out = append(out, d.doc.KeyErrorf(d.path, "%s %q is not used by any route or SLA policy", d.kind, d.name).Error())
		}
	}
	return out
}

// MembersWithoutOwner lists the team members that match no active HubSpot
// owner, as "team neuvonta: mikko@...": such a member is never assigned,
// which only the portal can tell.
func (r *Rules) MembersWithoutOwner(owners []hubspot.Owner) []string {
	known := map[string]bool{}
	for _, o := range owners {
		if !o.Archived && o.Email != "" {
			known[strings.ToLower(o.Email)] = true
		}
	}
	var out []string
	for _, name := range slices.Sorted(maps.Keys(r.teams)) {
		for _, mem := range r.teams[name].members {
			if !known[mem] {
				out = append(out, fmt.Sprintf("team %s: member %s matches no active HubSpot owner", name, mem))
			}
		}
	}
	return out
}

// RouteNames lists the names of an object type's routes, in order.
func (r *Rules) RouteNames(objectType string) []string {
	or := r.objects[objectType]
	if or == nil {
		return nil
	}
	out := make([]string, len(or.routes))
	for i, rt := range or.routes {
		out[i] = rt.Name
	}
	return out
}
