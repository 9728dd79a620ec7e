package sandbox

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/alusta/alusta"
	"github.com/alusta/alusta/connector/hubspot"
)

// Demo seed sizes.
const (
	demoTickets = 3000
	demoDeals   = 2000
	demoNotes   = 400
	demoDays    = 90
)

// demoProvider is one provider company in providers.json.
type demoProvider struct {
	Name      string   `json:"name"`
	Services  []string `json:"services"`
	Areas     []string `json:"areas"`
	Languages []string `json:"languages"`
	Capacity  int      `json:"capacity"`
	Weight    int      `json:"weight"`
	Prices    string   `json:"prices"`
	Active    bool     `json:"active"`
	Domain    string   `json:"domain"`
	id        string
}

func (p *demoProvider) price(service string) float64 {
	for _, kv := range strings.Split(p.Prices, ";") {
		k, v, _ := strings.Cut(kv, ":")
		if k == service {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// demoActivity is one NGO activity in ngos.json: a company with
// alusta_org_type = jarjesto.
type demoActivity struct {
	Name         string   `json:"name"`
	Themes       []string `json:"themes"`
	TargetGroups []string `json:"target_groups"`
	Areas        []string `json:"areas"`
	Channel      []string `json:"channel"`
	Languages    []string `json:"languages"`
	ContactEmail string   `json:"contact_email"`
	Active       bool     `json:"active"`
}

// demoThemes are the NGO activity themes, for the needs of demo tickets.
var demoThemes = []string{"yksinaisyys", "vertaistuki", "liikunta", "mielenterveys", "paihteet", "vanhemmuus", "arjen_tuki", "omaishoito"}

type demoPipeline struct {
	ID     string      `json:"id"`
	Label  string      `json:"label"`
	Stages [][3]string `json:"stages"`
}

type demoProps struct {
	Group      hubspot.PropertyGroup         `json:"group"`
	Properties map[string][]hubspot.Property `json:"properties"`
}

func readJSON(fsys fs.FS, name string, v any) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("sandbox: demo seed: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("sandbox: demo seed: %s: %w", name, err)
	}
	return nil
}

// weighted picks a key by weight.
func weighted[T any](rng *rand.Rand, items []T, weights []int) T {
	total := 0
	for _, w := range weights {
		total += w
	}
	x := rng.IntN(total)
	for i, w := range weights {
		if x < w {
			return items[i]
		}
		x -= w
	}
	return items[len(items)-1]
}

// hetuChecks are the check characters of a Finnish personal identity code.
const hetuChecks = "0123456789ABCDEFHJKLMNPRSTUVWXY"

// demoBusinessID makes the i-th provider's business id (y-tunnus): seven
// digits and a valid check digit, numbered far above the business ids in
// use today, so that none looks like a real company's.
func demoBusinessID(i int) string {
	weights := []int{7, 9, 10, 5, 8, 4, 2}
	for n := 9900000 + i*10; ; n++ {
		digits := fmt.Sprintf("%07d", n)
		sum := 0
		for k, w := range weights {
			sum += int(digits[k]-'0') * w
		}
		switch r := sum % 11; r {
		case 0:
			return digits + "-0"
		case 1:
			continue // no valid check digit: the next number
		default:
			return digits + "-" + strconv.Itoa(11-r)
		}
	}
}

// fakeHetu makes a valid-format identity code with an individual number in
// 900-999, the range reserved for temporary codes, so that it can never be
// a real person's.
func fakeHetu(rng *rand.Rand) string {
	d, m, y := 1+rng.IntN(28), 1+rng.IntN(12), rng.IntN(100)
	n := 900 + rng.IntN(100)
	num, _ := strconv.Atoi(fmt.Sprintf("%02d%02d%02d%03d", d, m, y, n))
	sep := "-"
	if y < 25 {
		sep = "A"
	}
	return fmt.Sprintf("%02d%02d%02d%s%03d%c", d, m, y, sep, n, hetuChecks[num%31])
}

var (
	demoMunicipalities = []string{"Tampere", "Orivesi", "Kangasala", "Nokia", "Ylöjärvi", "Lempäälä", "Pirkkala"}
	demoMuniWeights    = []int{55, 4, 10, 9, 8, 7, 7}
	demoGroups         = []string{"ikaantyneet", "vammaiset", "lapsiperheet", "omaishoitajat"}
	demoGroupWeights   = []int{55, 20, 15, 10}
	demoLanguages      = []string{"fi", "sv", "en"}
	demoLangWeights    = []int{88, 8, 4}
	demoOrderServices  = []string{"siivous", "kauppa", "ateria", "turvapalvelu", "avustaja", "kotihoito", "hoitajavuokraus", "lastenhoito"}
	demoOrderWeights   = []int{25, 15, 15, 10, 12, 10, 5, 8}
	// demoUnits is each service's unit and range of units per order.
	demoUnits = map[string]struct {
		unit     string
		lo, high int
	}{
		"siivous": {"h", 2, 12}, "kauppa": {"kpl", 2, 8}, "ateria": {"kpl", 10, 30}, "turvapalvelu": {"kk", 1, 3},
		"avustaja": {"h", 8, 40}, "kotihoito": {"h", 10, 60}, "hoitajavuokraus": {"h", 8, 40}, "lastenhoito": {"h", 6, 30},
	}
)

// DemoSize sets how many tickets and deals the demo seed generates; zero
// values keep the demo's 3,000 and 2,000. Benchmarks grow the same
// portal to production sizes with it.
type DemoSize struct {
	Tickets, Deals int
}

// demoState builds the demo portal: static data from the embedded seed,
// bulk records generated from a fixed seed with dates relative to now, so
// there are always 90 days of history. stageDates gives the portal
// HubSpot's stage date properties.
func demoState(now time.Time, size DemoSize, stageDates bool) (*state, error) {
	if size.Tickets <= 0 {
		size.Tickets = demoTickets
	}
	if size.Deals <= 0 {
		size.Deals = demoDeals
	}
	fsys := alusta.DemoSeed()
	now = now.UTC().Truncate(time.Millisecond)
	st := newState()
	// Like the rest of the demo, its portal id follows from the seeding
	// instant: the same clock gives the same portal, a later reseed
	// (after a lost state file) another one.
	st.portalID = demoPortalID(now)
	st.addBuiltins(now.AddDate(-2, 0, 0))

	var owners []hubspot.Owner
	var pipes map[string][]demoPipeline
	var props demoProps
	var provs []*demoProvider
	var texts map[string][][2]string
	var ngos []demoActivity
	for name, v := range map[string]any{"owners.json": &owners, "pipelines.json": &pipes,
		"properties.json": &props, "providers.json": &provs, "texts.json": &texts, "ngos.json": &ngos} {
		if err := readJSON(fsys, name, v); err != nil {
			return nil, err
		}
	}
	epoch := now.AddDate(-1, 0, 0)
	for i := range owners {
		owners[i].CreatedAt, owners[i].UpdatedAt = epoch, epoch
	}
	st.owners = owners
	for t, ps := range pipes {
		st.pipelines[t] = nil
		for _, p := range ps {
			st.pipelines[t] = append(st.pipelines[t], makePipeline(p.ID, p.Label, epoch, p.Stages))
		}
	}
	if stageDates {
		st.addStageDates(epoch)
	}
	for t, ps := range props.Properties {
		st.groups[t] = append(st.groups[t], props.Group)
		for i := range ps {
			p := ps[i]
			p.CreatedAt, p.UpdatedAt = &epoch, &epoch
			p.ModificationMetadata = &hubspot.ModificationMetadata{Archivable: true}
			st.props[t][p.Name] = &p
		}
	}
	st.userLabels = []assocLabel{
		{From: hubspot.Deals, To: hubspot.Companies, Category: hubspot.UserDefined, TypeID: 1001, Label: strp("Asiakkaan valitsema"), Inverse: 1002},
		{From: hubspot.Companies, To: hubspot.Deals, Category: hubspot.UserDefined, TypeID: 1002, Label: strp("Asiakkaan valitsema"), Inverse: 1001},
	}

	rng := rand.New(rand.NewPCG(2026, 1122))
	for i, p := range provs {
		created := now.AddDate(-2, 0, i)
		active := strconv.FormatBool(p.Active)
		v := st.insert(hubspot.Companies, map[string]string{
			"name": p.Name, "domain": p.Domain, "city": p.Areas[0],
			"alusta_provider_active": active, "alusta_provider_services": strings.Join(p.Services, ";"),
			"alusta_provider_areas": strings.Join(p.Areas, ";"), "alusta_provider_languages": strings.Join(p.Languages, ";"),
			"alusta_provider_capacity": strconv.Itoa(p.Capacity), "alusta_provider_weight": strconv.Itoa(p.Weight),
			"alusta_provider_prices": p.Prices, "alusta_org_type": "yritys",
			// Every provider takes orders by e-mail, at the example.fi
			// domain that reaches no one.
			"alusta_provider_email":       "tilaukset@" + p.Domain,
			"alusta_provider_business_id": demoBusinessID(i),
		}, created, now.AddDate(0, 0, -100+i))
		p.id = v.idStr
	}
	for i, a := range ngos {
		created := now.AddDate(-1, 0, i)
		st.insert(hubspot.Companies, map[string]string{
			"name": a.Name, "city": a.Areas[0], "alusta_org_type": "jarjesto",
			"alusta_provider_active": strconv.FormatBool(a.Active), "alusta_provider_areas": strings.Join(a.Areas, ";"),
			"alusta_provider_languages": strings.Join(a.Languages, ";"), "alusta_activity_themes": strings.Join(a.Themes, ";"),
			"alusta_activity_target_groups": strings.Join(a.TargetGroups, ";"), "alusta_activity_channel": strings.Join(a.Channel, ";"),
			"alusta_activity_contact_email": a.ContactEmail,
		}, created, now.AddDate(0, 0, -60+i))
	}
	// candidates lists the active providers of a service in a municipality.
	candidates := func(service, muni string) []*demoProvider {
		var out []*demoProvider
		for _, p := range provs {
			if p.Active && slices.Contains(p.Services, service) && slices.Contains(p.Areas, muni) {
				out = append(out, p)
			}
		}
		return out
	}
	var advisers, orderers []string
	for _, o := range owners {
		if o.Teams[0].Name == "Neuvonta" {
			advisers = append(advisers, o.ID)
		} else {
			orderers = append(orderers, o.ID)
		}
	}
	span := demoDays * 24 * time.Hour
	times := func(n int) []time.Time {
		ts := make([]time.Time, n)
		for i := range ts {
			ts[i] = now.Add(-time.Duration(rng.Int64N(int64(span)))).Truncate(time.Millisecond)
		}
		slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
		return ts
	}
	// until returns a time after t by up to d, never later than now.
	until := func(t time.Time, d time.Duration) time.Time {
		u := t.Add(time.Minute + time.Duration(rng.Int64N(int64(d)))).Truncate(time.Millisecond)
		if u.After(now) {
			return now.Add(-time.Duration(rng.IntN(3600)) * time.Second).Truncate(time.Millisecond)
		}
		return u
	}

	// People's work on the records draws from a generator of its own, so
	// that the records themselves are what they were before it.
	work := newDemoWork()
	tp := st.pipelines[hubspot.Tickets][0]
	tstages := map[string]string{}
	for _, sg := range tp.Stages {
		tstages[sg.Label] = sg.ID
	}
	ticketStages := []string{"Uusi", "Työn alla", "Odottaa asiakasta", "Suljettu"}
	for _, l := range ticketStages {
		if tstages[l] == "" {
			return nil, fmt.Errorf("sandbox: demo seed: pipelines.json: ticket pipeline has no stage %q", l)
		}
	}
	hetus := 0
	for i, created := range times(size.Tickets) {
		age := now.Sub(created)
		var w []int
		switch {
		case age < 3*24*time.Hour:
			w = []int{40, 35, 10, 15}
		case age < 14*24*time.Hour:
			w = []int{5, 20, 15, 60}
		default:
			w = []int{0, 3, 5, 92}
		}
		stage := weighted(rng, ticketStages, w)
		kind := weighted(rng, []string{"neuvonta", "palaute", "reklamaatio"}, []int{75, 18, 7})
		muni := weighted(rng, demoMunicipalities, demoMuniWeights)
		p := map[string]string{
			"hs_pipeline": tp.ID, "hs_pipeline_stage": tstages[stage],
			"hs_ticket_priority": weighted(rng, []string{"LOW", "MEDIUM", "HIGH", "URGENT"}, []int{30, 50, 15, 5}),
			"source_type":        weighted(rng, []string{"EMAIL", "PHONE", "CHAT", "FORM"}, []int{35, 40, 15, 10}),
			"alusta_ticket_kind": kind, "alusta_municipality": muni,
			"alusta_client_group": weighted(rng, demoGroups, demoGroupWeights),
			"alusta_language":     weighted(rng, demoLanguages, demoLangWeights),
		}
		service := "neuvonta"
		if kind != "neuvonta" || rng.IntN(2) == 0 {
			service = weighted(rng, demoOrderServices, demoOrderWeights)
		}
		p["alusta_service"] = service
		// Some advice is palveluhaku (a self-paying client looking for a
		// provider) and some records the client's needs for NGO
		// activities. Chosen by position, not by the generator, so the
		// rest of the portal stays as it was.
		if kind == "neuvonta" && service != "neuvonta" && i%8 == 3 {
			p["alusta_ticket_kind"] = "palveluhaku"
		}
		if kind == "neuvonta" && i%6 == 1 {
			p["alusta_needs"] = demoThemes[i%len(demoThemes)]
			if second := demoThemes[(i/12)%len(demoThemes)]; i%12 == 1 && second != p["alusta_needs"] {
				p["alusta_needs"] += ";" + second
			}
		}
		if kind != "neuvonta" {
			if cs := candidates(service, muni); len(cs) > 0 {
				p["alusta_provider"] = cs[rng.IntN(len(cs))].id
			}
			if rng.IntN(5) > 0 {
				score := 3 + rng.IntN(3)
				if kind == "reklamaatio" {
					score = 1 + rng.IntN(2)
				}
				p["alusta_feedback_score"] = strconv.Itoa(score)
			}
			if kind == "reklamaatio" && p["hs_ticket_priority"] == "LOW" {
				p["hs_ticket_priority"] = "HIGH"
			}
		}
		text := texts[kind][rng.IntN(len(texts[kind]))]
		p["subject"] = text[0]
		p["content"] = text[1]
		// A few tickets carry a (fabricated) identity code in free text, as
		// real ones do, so privacy checks downstream have something to
		// catch.
		if i%97 == 13 {
			p["content"] += " Asiakkaan henkilötunnus " + fakeHetu(rng) + ", soittakaa takaisin."
			hetus++
		}
		if stage != "Uusi" || rng.IntN(3) == 0 {
			p["hubspot_owner_id"] = advisers[rng.IntN(len(advisers))]
		}
		modified := until(created, min(age, 5*24*time.Hour)+time.Minute)
		if stage == "Suljettu" {
			p["closed_date"] = modified.Format(hubspot.TimeFormat)
			p["time_to_close"] = strconv.FormatInt(modified.Sub(created).Milliseconds(), 10)
		}
		v := st.insert(hubspot.Tickets, p, created, modified)
		// The ticket came in as new and people worked it until it was last
		// modified, so that clocks read from the history agree with
		// created, modified and closed_date.
		st.workedHistory(hubspot.Tickets, v, work.ticket(v, tstages, advisers))
	}
	if hetus == 0 {
		return nil, fmt.Errorf("sandbox: demo seed: no ticket carries an identity code")
	}

	dp := st.pipelines[hubspot.Deals][0]
	dstage := map[string]string{}
	var dealStages []string
	for _, s := range dp.Stages {
		dstage[s.Label] = s.ID
		dealStages = append(dealStages, s.Label)
	}
	var dealsWithProvider []*version
	for i, created := range times(size.Deals) {
		age := now.Sub(created)
		// Vastaanotettu, Välitetty, hyväksynyt, hylännyt, käynnissä, Toteutunut, Peruttu
		var w []int
		switch {
		case age < 2*24*time.Hour:
			w = []int{45, 35, 12, 3, 5, 0, 0}
		case age < 10*24*time.Hour:
			w = []int{2, 12, 18, 5, 45, 10, 8}
		default:
			w = []int{0, 1, 2, 4, 25, 60, 8}
		}
		stage := weighted(rng, dealStages, w)
		service := weighted(rng, demoOrderServices, demoOrderWeights)
		muni := weighted(rng, demoMunicipalities, demoMuniWeights)
		u := demoUnits[service]
		units := u.lo + rng.IntN(u.high-u.lo+1)
		p := map[string]string{
			"dealname": fmt.Sprintf("Tilaus %d/%04d %s, %s", created.Year(), i+1, service, muni),
			"pipeline": dp.ID, "dealstage": dstage[stage],
			"alusta_service": service, "alusta_municipality": muni,
			"alusta_units": strconv.Itoa(units), "alusta_unit": u.unit,
			"alusta_payer":        weighted(rng, []string{"city", "client"}, []int{85, 15}),
			"alusta_language":     weighted(rng, demoLanguages, demoLangWeights),
			"alusta_client_group": weighted(rng, demoGroups, demoGroupWeights),
			"hubspot_owner_id":    orderers[rng.IntN(len(orderers))],
		}
		cs := candidates(service, muni)
		var chosen *demoProvider
		if len(cs) > 0 {
			chosen = cs[rng.IntN(len(cs))]
			if rng.IntN(5) == 0 {
				p["alusta_client_choice"] = chosen.id
			}
		}
		price := 0.0
		if chosen != nil {
			price = chosen.price(service)
		}
		p["amount"] = strconv.FormatFloat(float64(units)*price, 'f', 2, 64)
		assigned := stage != "Vastaanotettu" && chosen != nil
		if stage == "Tuottaja hylännyt" && chosen != nil {
			p["alusta_declined_by"] = chosen.id
			assigned = false
		}
		if assigned {
			p["alusta_provider"] = chosen.id
		}
		modified := until(created, min(age, 20*24*time.Hour)+time.Minute)
		if stage == "Toteutunut" || stage == "Peruttu" {
			p["closedate"] = modified.Format(hubspot.TimeFormat)
		}
		v := st.insert(hubspot.Deals, p, created, modified)
		st.workedHistory(hubspot.Deals, v, work.deal(v, dstage, dealStages, orderers))
		if assigned {
			id, _ := parseID(chosen.id)
			st.associate(hubspot.Deals, v.id, hubspot.Companies, id, assocLink{hubspot.HubSpotDefined, 5})
			dealsWithProvider = append(dealsWithProvider, v)
		}
	}
	for i := 0; i < demoNotes && i < len(dealsWithProvider); i++ {
		d := dealsWithProvider[(i*7919)%len(dealsWithProvider)]
		at := d.updated
		prov := d.props["alusta_provider"]
		var name string
		for _, p := range provs {
			if p.id == prov {
				name = p.Name
			}
		}
		n := st.insert(hubspot.Notes, map[string]string{
			"hs_note_body": fmt.Sprintf("Tilaus välitetty tuottajalle %s.", name),
			"hs_timestamp": at.Format(hubspot.TimeFormat),
		}, at, at)
		st.associate(hubspot.Notes, n.id, hubspot.Deals, d.id, assocLink{hubspot.HubSpotDefined, hubspot.AssocNoteToDeal})
	}
	return st, nil
}

// demoPortalID maps a seeding instant to a nine-digit Hub ID.
func demoPortalID(now time.Time) int64 {
	h := fnv.New64a()
	fmt.Fprint(h, now.UnixMilli())
	return 100_000_000 + int64(h.Sum64()%900_000_000)
}
