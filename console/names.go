package console

import (
	"context"
	"regexp"
	"strings"

	"github.com/alusta/alusta/store"
)

// names turns the ids the store keeps into what people call things:
// coordinators, providers and stages by name.
type names struct {
	owners    map[string]string
	providers map[string]string
	stages    map[string]string // "tickets/701000011" -> "Uusi"
}

func (c *Console) names(ctx context.Context) (*names, error) {
	n := &names{owners: map[string]string{}, providers: map[string]string{}, stages: map[string]string{}}
	owners, err := c.opts.Store.Owners(ctx)
	if err != nil {
		return nil, err
	}
	for _, o := range owners {
		n.owners[o.ID] = o.Name()
	}
	companies, err := c.opts.Store.Records(ctx, "companies", store.Filter{IncludeArchived: true})
	if err != nil {
		return nil, err
	}
	for _, r := range companies {
		n.providers[r.ID] = r.Prop("name")
	}
	for _, typ := range []string{"tickets", "deals"} {
		stages, err := c.opts.Store.Stages(ctx, typ)
		if err != nil {
			return nil, err
		}
		for _, s := range stages {
			n.stages[typ+"/"+s.StageID] = s.Label
		}
	}
	return n, nil
}

// owner names a coordinator; an unknown id shows as itself.
func (n *names) owner(id string) string {
	if s := n.owners[id]; s != "" {
		return s
	}
	return id
}

func (n *names) provider(id string) string {
	if s := n.providers[id]; s != "" {
		return s
	}
	return id
}

func (n *names) stage(typ, id string) string {
	if s := n.stages[typ+"/"+id]; s != "" {
		return s
	}
	return id
}

var longNumber = regexp.MustCompile(`\b\d{6,}\b`)

// explain replaces the provider and owner ids in an explanation with their
// names.
func (n *names) explain(s string) string {
	return longNumber.ReplaceAllStringFunc(s, func(id string) string {
		if p := n.providers[id]; p != "" {
			return p
		}
		if o := n.owners[id]; o != "" {
			return o
		}
		return id
	})
}

// reason keeps the parts of an order's explanation that say why no
// provider was chosen, leaving out the route, queue and SLA parts the page
// shows elsewhere.
func (n *names) reason(decision string) string {
	var keep []string
	for part := range strings.SplitSeq(decision, "; ") {
		if strings.HasPrefix(part, "route ") || strings.HasPrefix(part, "queue ") || strings.HasPrefix(part, "SLA ") {
			continue
		}
		keep = append(keep, part)
	}
	return n.explain(strings.Join(keep, "; "))
}

var quoted = regexp.MustCompile(`"[^"]*"`)

// mask hides the values quoted in a reason ("not a number: \"12 tuntia\""),
// which may carry what a person typed, and redacts identity codes.
func mask(s string) string {
	return quoted.ReplaceAllString(store.Redact(s), `"…"`)
}
