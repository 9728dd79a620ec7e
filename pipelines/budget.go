package pipelines

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// EvalBudget bounds the work of one condition on one record, in expr's
// memory units: each element of a range (1..n), list, map or string an
// expression builds, summed over the evaluation, nested loops included.
// Routing conditions compare a few fields and need a handful; 10,000
// leaves room for honest list lookups while `all(1..990000, ...)`, which
// made a cycle 17 times slower, is refused at load. A record meets at most
// one budget per condition of its object's rules, which bounds its
// evaluation as a whole.
const EvalBudget = 10_000

// errOverBudget is expr's message when a VM's memory budget runs out.
const errOverBudget = "memory budget exceeded"

// Problem is a rule that could not be evaluated on a record.
type Problem struct {
	// Rule names the condition: "route urgent", "sla response start".
	Rule string
	// Err says what went wrong, with the record's values left out.
	Err string
}

func (p Problem) String() string { return p.Rule + ": expression failed: " + p.Err }

// run evaluates p on env within EvalBudget.
func run(v *vm.VM, p *vm.Program, env any) (any, error) {
	v.MemoryBudget = EvalBudget
	return v.Run(p, env)
}

// quoted matches a quoted string in an error message; a record's value
// appears in expr's errors that way (strconv.Atoi: parsing "131052-308T").
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// describeEvalError is err without the record's values, which may be
// client data (a hetu, a story), and without expr's source excerpt: the
// message goes into logs, the store and HubSpot's alusta_decision. expr
// quotes some values and not others ("invalid operation: int(131052-308T)"),
// so every value of the record of three characters or more is masked too;
// shorter ones cannot hold client data.
func describeEvalError(err error, env map[string]any) string {
	msg := err.Error()
	where := ""
	var fe *file.Error
	if errors.As(err, &fe) {
		msg = fe.Message
		if fe.Line > 0 {
			where = fmt.Sprintf(" at %d:%d", fe.Line, fe.Column+1)
		}
	}
	msg, _, _ = strings.Cut(msg, "\n")
	if strings.Contains(msg, errOverBudget) {
		return fmt.Sprintf("over the evaluation budget of %d%s", EvalBudget, where)
	}
	msg = quoted.ReplaceAllString(msg, `"…"`)
	var values []string
	for k, v := range env {
		if k == "props" {
			if props, ok := v.(map[string]string); ok {
				for _, pv := range props {
					values = append(values, pv)
				}
			}
			continue
		}
		if sv, ok := v.(string); ok {
			values = append(values, sv)
		}
	}
	// Longest first, so that a value containing another is masked whole.
	slices.SortFunc(values, func(a, b string) int { return len(b) - len(a) })
	for _, v := range values {
		if len(strings.TrimSpace(v)) >= 3 {
			msg = strings.ReplaceAll(msg, v, "…")
		}
	}
	return msg + where
}
