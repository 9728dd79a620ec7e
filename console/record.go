package console

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/store"
)

type fact struct{ Label, Value string }

type decisionRow struct {
	At                time.Time
	Rule, Explanation string
}

type writeRow struct {
	At                               time.Time
	Property, Old, New, Rule, Reason string
	Status                           string
}

type recordBody struct {
	Query      string
	Problem    string
	Found      bool
	Type       string // tickets or deals
	ID         string
	Archived   bool
	HubSpotURL string
	SandboxURL string
	Facts      []fact
	Decisions  []decisionRow
	SLA        []store.SLACycle
	Writes     []writeRow
}

// writesShown bounds the writes listed; a record's history of a year stays
// readable.
const writesShown = 200

// record finds one ticket or service order by its HubSpot id and explains
// what alusta decided about it, and why.
func (c *Console) record(w http.ResponseWriter, r *http.Request) {
	p := c.printerFor(r)
	b := &recordBody{Query: r.URL.Query().Get("id")}
	if b.Query == "" {
		c.render(w, r, "record", "record.title", b)
		return
	}
	if !digits(b.Query) || len(b.Query) > 20 {
		b.Problem = p.T("record.bad_id")
		c.renderStatus(w, r, http.StatusBadRequest, "record", "record.title", b)
		return
	}
	ctx := r.Context()
	typ, err := c.opts.Store.RecordType(ctx, b.Query)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if typ == "" {
		b.Problem = p.T("record.not_found", b.Query)
		c.renderStatus(w, r, http.StatusNotFound, "record", "record.title", b)
		return
	}
	if err := c.recordBody(r, p, typ, b); err != nil {
		c.fail(w, r, err)
		return
	}
	c.logView(r, "record", "object", typ, "id", b.ID)
	c.render(w, r, "record", "record.title", b)
}

func (c *Console) recordBody(r *http.Request, p *printer, typ string, b *recordBody) error {
	ctx := r.Context()
	st := c.opts.Store
	rec, _, err := st.Record(ctx, typ, b.Query)
	if err != nil {
		return err
	}
	n, err := c.names(ctx)
	if err != nil {
		return err
	}
	b.Found, b.Type, b.ID, b.Archived = true, typ, rec.ID, rec.Archived
	objectType := "0-5"
	if typ == "deals" {
		objectType = "0-3"
	}
	if c.opts.PortalID != "" {
		b.HubSpotURL = "https://app.hubspot.com/contacts/" + c.opts.PortalID + "/record/" + objectType + "/" + rec.ID
	}
	if c.opts.Sandbox != nil {
		b.SandboxURL = "/sandbox/" + typ + "/" + rec.ID
	}
	// The cache keeps records under alusta's names; the write log keeps
	// the HubSpot properties written, here the default mapping's.
	stageProp := "hs_pipeline_stage"
	if typ == "deals" {
		stageProp = "dealstage"
	}
	add := func(label, v string) {
		if v != "" {
			b.Facts = append(b.Facts, fact{Label: p.T(label), Value: v})
		}
	}
	add("col.stage", n.stage(typ, rec.Prop("stage")))
	add("col.queue", rec.Prop("queue"))
	if id := rec.Prop("owner"); id != "" {
		add("col.owner", n.owner(id))
	}
	add("col.service", rec.Prop("service"))
	add("col.municipality", rec.Prop("municipality"))
	if id := rec.Prop("provider"); id != "" {
		add("col.provider", n.provider(id))
	}
	if s := rec.Prop("sla_status"); s != "" {
		v := p.T("sla." + s)
		if due, ok := parseTime(rec.Prop("sla_due")); ok {
			v += ", " + p.T("col.due") + " " + p.Time(due)
		}
		add("col.sla", v)
	}
	add("col.created", p.Time(rec.CreatedAt))

	decisions, err := st.Decisions(ctx, typ, rec.ID)
	if err != nil {
		return err
	}
	for _, d := range slices.Backward(decisions) {
		b.Decisions = append(b.Decisions, decisionRow{At: d.At, Rule: d.Rule, Explanation: n.explain(d.Explanation)})
	}
	if b.SLA, err = st.SLACycles(ctx, typ, rec.ID); err != nil {
		return err
	}
	writes, err := st.Writes(ctx, typ, rec.ID)
	if err != nil {
		return err
	}
	value := func(prop, v string) string {
		switch prop {
		case "hubspot_owner_id":
			return n.owner(v)
		case "alusta_provider":
			return n.provider(v)
		case stageProp:
			return n.stage(typ, v)
		case "alusta_sla_status":
			if v != "" {
				return p.T("sla." + v)
			}
		case "alusta_decision":
			return n.explain(v)
		case "alusta_sla_due":
			if t, ok := parseTime(v); ok {
				return p.Time(t)
			}
		}
		return v
	}
	for _, wr := range slices.Backward(writes) {
		if len(b.Writes) == writesShown {
			break
		}
		b.Writes = append(b.Writes, writeRow{At: wr.At, Property: wr.Property, Old: value(wr.Property, wr.Old),
			New: value(wr.Property, wr.New), Rule: wr.Rule, Reason: mask(wr.Reason), Status: p.T("write." + string(wr.Status))})
	}
	return nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

type sandboxBody struct {
	Type, ID string
	Facts    []fact
}

// sandboxView shows, in demo mode, the record as the embedded sandbox holds
// it now: the sandbox's stand-in for HubSpot's own record page. Only the
// properties alusta may keep are read, never free text.
func (c *Console) sandboxView(w http.ResponseWriter, r *http.Request) {
	typ, id := r.PathValue("type"), r.PathValue("id")
	if c.opts.Sandbox == nil || (typ != "tickets" && typ != "deals") || !digits(id) {
		http.NotFound(w, r)
		return
	}
	m := c.opts.Mapping
	if m == nil {
		// The sandbox view reads the properties the mapping names.
		http.NotFound(w, r)
		return
	}
	obj, err := c.opts.Sandbox.Get(r.Context(), typ, id, m.Properties(typ))
	if errors.Is(err, hubspot.ErrNotFound) {
		c.message(w, r, http.StatusNotFound, "sandbox.title", "sandbox.not_found")
		return
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	b := &sandboxBody{Type: typ, ID: obj.ID}
	// What the cache would keep of it, under alusta's names: the view
	// shows no property the store would refuse.
	props := m.Translate(typ, obj.Properties)
	for _, name := range store.DefaultProperties[typ] {
		if v := props[name]; v != "" {
			b.Facts = append(b.Facts, fact{Label: name, Value: store.Redact(v)})
		}
	}
	c.logView(r, "sandbox", "object", typ, "id", id)
	c.render(w, r, "sandbox", "sandbox.title", b)
}
