package pipelines

import (
	"github.com/expr-lang/expr/ast"
)

// A rule change must not re-route records that are done: a queue renamed
// today would otherwise rewrite tickets closed in September. A closed
// record that alusta has routed before keeps its queue, owner, priority
// and stage, unless the route that matched asks about the stage in its
// condition (when: stage == "closed" && ...), which is how a rule says it
// means closed records too. A closed record never routed is routed once.

// closedStages are the stages whose records are done.
var closedStages = map[string]bool{"closed": true, "delivered": true, "cancelled": true}

// keepRouting reports whether the route's actions are to be skipped for
// this record, and keeps the explanation naming the queue it is in.
func (x *decider) keepRouting(rt *route) bool {
	m := x.e.m
	queue := x.prop(m.Outputs.Queue)
	if queue == "" || !closedStages[x.stage] || asksStage(rt) {
		return false
	}
	x.want.Set(m.Outputs.Queue, queue)
	return true
}

// asksStage reports whether a route's condition names the stage field.
func asksStage(rt *route) bool {
	if rt.when == nil {
		return false
	}
	return ast.Find(rt.when.Node(), func(n ast.Node) bool {
		id, ok := n.(*ast.IdentifierNode)
		return ok && id.Value == "stage"
	}) != nil
}
