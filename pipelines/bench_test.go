package pipelines

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// BenchmarkDecide evaluates routing, SLA and provider assignment for
// 100,000 records per iteration and reports records per second of wall
// time and per second of the process's CPU time (GC included), the
// figure to read on a machine others share.
//
// The records are a first sync's: every one is a first look, so each
// SLA clock replays the record's stage history. Half are tickets, half
// orders; they were created over the last 30 days and sit in every stage,
// so clocks run, pause (waiting on the client) and stop (closed,
// delivered), and they carry the properties HubSpot sends (subject, free
// text, dates, owners) besides the ones the rules read. Forty providers
// with capacities take the orders; one State carries rotations and loads
// from record to record, as a cycle does.
func BenchmarkDecide(b *testing.B) {
	e, _ := demoEngine(b)
	now := time.Date(2026, 11, 24, 11, 0, 0, 0, helsinki(b))
	ins := benchInputs(now, 100_000)
	cpu := cpuTime()
	for b.Loop() {
		st := &State{}
		for _, in := range ins {
			_, c, err := e.Decide(in, st, now)
			if err != nil {
				b.Fatal(err)
			}
			st.Apply(c)
		}
	}
	n := float64(len(ins) * b.N)
	b.ReportMetric(n/b.Elapsed().Seconds(), "records/s")
	if used := cpuTime() - cpu; used > 0 {
		b.ReportMetric(n/used.Seconds(), "records/cpu-s")
	}
}

var (
	benchServices = []string{"siivous", "kauppa", "ateria", "turvapalvelu", "hoitajavuokraus", "avustaja", "kotihoito"}
	benchMunis    = []string{"Tampere", "Orivesi", "Kangasala", "Nokia", "Ylöjärvi", "Lempäälä", "Pirkkala"}
)

// benchInputs makes n records, tickets and orders in turn, as a portal
// holds them at now.
func benchInputs(now time.Time, n int) []Input {
	var ps []Provider
	for i := range 40 {
		p := provider(strconv.Itoa(1000+i), benchServices[i%7]+";"+benchServices[(i+3)%7],
			benchMunis[i%7]+";"+benchMunis[(i+2)%7]+";Tampere", 200, float64(1+i%3))
		p.Languages = []string{"fi"}
		if i%4 == 0 {
			p.Languages = append(p.Languages, "sv")
		}
		p.Prices = map[string]float64{benchServices[i%7]: 30 + float64(i), benchServices[(i+3)%7]: 40 - float64(i%5)}
		ps = append(ps, p)
	}
	var acts []Activity
	for i := range 10 {
		acts = append(acts, Activity{ID: strconv.Itoa(3000 + i), Name: fmt.Sprintf("Yhdistys %d ry", i), Active: true,
			Themes: []string{[]string{"yksinaisyys", "vertaistuki", "mielenterveys"}[i%3], "arjen_tuki"},
			Areas:  []string{benchMunis[i%7], "Tampere"}, Channels: []string{"paikan_paalla"}, Languages: []string{"fi"}})
	}
	owners := demoOwners()
	ins := make([]Input, n)
	for i := range n {
		created := now.Add(-time.Duration(i%1000) * 43 * time.Minute)
		if i%2 == 0 {
			ins[i] = benchTicket(i, created, owners, acts, ps)
		} else {
			ins[i] = benchOrder(i, created, owners, ps)
		}
	}
	return ins
}

// benchTicket is a guidance ticket: 40% new, 25% in progress, 15% waiting
// on the client, 20% closed.
func benchTicket(i int, created time.Time, owners []hubspot.Owner, acts []Activity, ps []Provider) Input {
	j := i / 2
	props := map[string]string{
		"subject":            fmt.Sprintf("Yhteydenotto %d", i),
		"content":            "Asiakas kysyy kotipalvelusta ja pyytää soittoa iltapäivällä.",
		"source_type":        []string{"PHONE", "EMAIL", "FORM"}[j%3],
		"hs_pipeline":        "Neuvonta ja ohjaus",
		"hs_ticket_priority": []string{"LOW", "MEDIUM", "HIGH", "URGENT"}[j%4],
		"alusta_language":    []string{"fi", "fi", "sv", "en"}[j%4],
		"alusta_ticket_kind": []string{"neuvonta", "palaute", "reklamaatio", "neuvonta"}[j%4],
		"createdate":         created.UTC().Format(hubspot.TimeFormat),
	}
	switch j % 20 {
	case 5:
		props["alusta_ticket_kind"] = "palveluhaku"
		props["alusta_service"], props["alusta_municipality"] = benchServices[j%7], benchMunis[j%7]
	case 6:
		props["alusta_needs"], props["alusta_municipality"] = "yksinaisyys;vertaistuki", benchMunis[j%7]
	}
	stages := []string{"Uusi"}
	switch k := j % 20; {
	case k >= 16:
		stages = []string{"Uusi", "Työn alla", "Suljettu"}
	case k >= 13:
		stages = []string{"Uusi", "Työn alla", "Odottaa asiakasta"}
	case k >= 8:
		stages = []string{"Uusi", "Työn alla"}
	}
	if len(stages) > 1 {
		props["hubspot_owner_id"] = owners[j%len(owners)].ID
	}
	return Input{ObjectType: hubspot.Tickets, Owners: owners, Activities: acts, Providers: ps,
		Record: benchRecord(i, created, props, "hs_pipeline_stage", stages), History: benchHistory("hs_pipeline_stage", created, stages, j)}
}

// benchOrder is a service order: half received, the rest assigned,
// accepted, declined, delivered or cancelled.
func benchOrder(i int, created time.Time, owners []hubspot.Owner, ps []Provider) Input {
	j := i / 2
	props := map[string]string{
		"dealname":            fmt.Sprintf("Tilaus %d", i),
		"pipeline":            "Palvelutilaukset",
		"alusta_service":      benchServices[j%7],
		"alusta_municipality": benchMunis[j%7],
		"alusta_language":     []string{"fi", "fi", "fi", "fi", "sv"}[j%5],
		"alusta_units":        strconv.Itoa(2 + j%10),
		"alusta_unit":         "h",
		"alusta_payer":        "kaupunki",
		"amount":              strconv.Itoa(40 * (2 + j%10)),
		"createdate":          created.UTC().Format(hubspot.TimeFormat),
	}
	var stages []string
	switch k := j % 20; {
	case k < 10:
		stages = []string{"Vastaanotettu"}
	case k < 14:
		stages = []string{"Vastaanotettu", "Välitetty tuottajalle"}
	case k < 16:
		stages = []string{"Vastaanotettu", "Välitetty tuottajalle", "Tuottaja hyväksynyt"}
	case k < 17:
		stages = []string{"Vastaanotettu", "Välitetty tuottajalle", "Tuottaja hylännyt"}
	case k < 19:
		stages = []string{"Vastaanotettu", "Välitetty tuottajalle", "Tuottaja hyväksynyt", "Toteutunut"}
	default:
		stages = []string{"Vastaanotettu", "Peruttu"}
	}
	if len(stages) > 1 {
		props["hubspot_owner_id"] = owners[5+j%2].ID
		props["alusta_provider"] = ps[j%len(ps)].ID
	}
	return Input{ObjectType: hubspot.Deals, Owners: owners, Providers: ps,
		Record: benchRecord(i, created, props, "dealstage", stages), History: benchHistory("dealstage", created, stages, j)}
}

// benchRecord is a record in the last of stages. A record never changed
// has no history (its stage has been as it is since creation); a tenth of
// the others come without one too, as from a portal that keeps none.
func benchRecord(i int, created time.Time, props map[string]string, stageProp string, stages []string) hubspot.Object {
	props[stageProp] = stages[len(stages)-1]
	o := obj(strconv.Itoa(i), created, props)
	if len(stages) > 1 || i%3 == 0 {
		o.UpdatedAt = created.Add(time.Duration(len(stages)) * 3 * time.Hour)
	}
	return o
}

// benchHistory is the stage history, newest first: each stage three
// hours and a few minutes after the one before.
func benchHistory(stageProp string, created time.Time, stages []string, j int) map[string][]hubspot.ValueTime {
	if len(stages) == 1 || j%10 == 9 {
		return nil
	}
	hist := make([]hubspot.ValueTime, len(stages))
	for k, s := range stages {
		hist[len(stages)-1-k] = hubspot.ValueTime{Value: s, Timestamp: created.Add(time.Duration(k) * (3*time.Hour + time.Duration(j%60)*time.Minute))}
	}
	return map[string][]hubspot.ValueTime{stageProp: hist}
}
