package daemon

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
)

// TestPalveluhakuOrder follows a demo palveluhaku ticket: it gets a
// shortlist, the coordinator records the client's choice from it, and
// alusta makes the service order (payer client, associated with the
// ticket and the client's contact), which the deal rules forward to the
// chosen provider; more cycles make no second order.
func TestPalveluhakuOrder(t *testing.T) {
	ctx := context.Background()
	p := newInProcessOpts(t, time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC), sandbox.Options{}, Options{
		PipelinesDir: "testdata/palveluhaku/pipelines", MappingsDir: "testdata/palveluhaku/mappings"})
	p.cycle(t)
	guidance := p.crm.Pipelines(hubspot.Tickets)[0]
	contact := p.crm.Insert("contacts", map[string]string{"firstname": "Testi", "lastname": "Maksaja"}, p.now)
	// One request per service: busy providers are full, so the test takes
	// the first whose shortlist names a provider with room.
	var tickets []string
	for _, service := range []string{"siivous", "kauppa", "ateria", "avustaja", "kotihoito", "lastenhoito"} {
		tickets = append(tickets, p.crm.Insert(hubspot.Tickets, map[string]string{"hs_pipeline": guidance.ID, "hs_pipeline_stage": guidance.Stages[1].ID,
			"alusta_ticket_kind": "palveluhaku", "alusta_service": service, "alusta_municipality": "Tampere", "alusta_language": "fi"}, p.now))
	}
	p.now = p.now.Add(time.Minute)
	p.cycle(t)
	var ticket, service string
	var ids [][]string
	for _, id := range tickets {
		ids = regexp.MustCompile(`\(tunnus (\d+)\)`).FindAllStringSubmatch(prop(p, id, "alusta_shortlist"), -1)
		if len(ids) > 0 {
			ticket, service = id, prop(p, id, "alusta_service")
			break
		}
	}
	if ticket == "" {
		for _, id := range tickets {
			t.Logf("%s: %s", id, prop(p, id, "alusta_decision"))
		}
		t.Fatal("no demo service in Tampere has a provider with room; the test needs one")
	}
	if err := p.crm.Associate(hubspot.Tickets, ticket, "contacts", contact, AssocTicketToContact); err != nil {
		t.Fatal(err)
	}
	choice := ids[len(ids)-1][1] // the client need not pick the cheapest

	if err := p.crm.Update(hubspot.Tickets, ticket, map[string]string{"alusta_client_choice": choice}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		p.now = p.now.Add(time.Minute)
		p.cycle(t)
	}
	var orders []hubspot.Object
	for _, id := range p.crm.Objects(hubspot.Deals) {
		o, _ := p.crm.Object(hubspot.Deals, id)
		if name, _ := o.Prop("dealname"); strings.HasPrefix(name, "Palveluhaku "+ticket+":") {
			orders = append(orders, o)
		}
	}
	if len(orders) != 1 {
		t.Fatalf("got %d service orders of ticket %s, want 1", len(orders), ticket)
	}
	o := orders[0]
	for prop, want := range map[string]string{"alusta_payer": "client", "alusta_client_choice": choice, "alusta_service": service,
		"alusta_municipality": "Tampere", "alusta_provider": choice} {
		if got, _ := o.Prop(prop); got != want {
			t.Errorf("order %s: %s is %q, want %q", o.ID, prop, got, want)
		}
	}
	for typ, want := range map[string]string{hubspot.Tickets: ticket, "contacts": contact, hubspot.Companies: choice} {
		as, err := p.client.Associations(ctx, hubspot.Deals, o.ID, typ)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, a := range as {
			found = found || strconv.FormatInt(a.ToObjectID, 10) == want
		}
		if !found {
			t.Errorf("order %s: no association with %s %s (got %+v)", o.ID, typ, want, as)
		}
	}
	// The decision that made the order says so; alusta does not decide
	// the ticket again while nothing in it changes.
	if got := prop(p, ticket, "alusta_decision"); !strings.Contains(got, "palvelutilaus asiakkaan valitsemalle ") || !strings.Contains(got, "("+choice+")") {
		t.Errorf("ticket %s: decision %q does not say the order was made", ticket, got)
	}
}
