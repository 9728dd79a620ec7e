package pipelines

import (
	"fmt"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// BenchmarkDecide evaluates routing, SLA and provider assignment for
// 100,000 records (half tickets, half deals, 40 providers) per iteration
// and reports records per second.
func BenchmarkDecide(b *testing.B) {
	e, _ := demoEngine(b)
	loc := helsinki(b)
	now := time.Date(2026, 11, 24, 11, 0, 0, 0, loc)
	services := []string{"siivous", "kauppa", "ateria", "turvapalvelu", "hoitajavuokraus", "avustaja", "kotihoito"}
	munis := []string{"Tampere", "Orivesi", "Kangasala", "Nokia", "Ylöjärvi", "Lempäälä", "Pirkkala"}
	var ps []Provider
	for i := range 40 {
		ps = append(ps, provider(fmt.Sprint(1000+i), services[i%7]+";"+services[(i+3)%7], munis[i%7]+";"+munis[(i+2)%7]+";Tampere", 200, float64(1+i%3)))
	}
	owners := demoOwners()
	const n = 100_000
	ins := make([]Input, n)
	for i := range n {
		created := now.Add(-time.Duration(i%500) * 17 * time.Minute)
		id := fmt.Sprint(i)
		if i%2 == 0 {
			ins[i] = Input{ObjectType: hubspot.Tickets, Owners: owners, Record: ticket(id, created, map[string]string{
				"hs_ticket_priority": []string{"LOW", "MEDIUM", "HIGH", "URGENT"}[i%4], "alusta_language": []string{"fi", "fi", "sv", "en"}[i%4/1%4],
				"alusta_ticket_kind": []string{"neuvonta", "palaute", "reklamaatio"}[i%3]})}
		} else {
			ins[i] = Input{ObjectType: hubspot.Deals, Owners: owners, Providers: ps, Record: deal(id, services[i%7], munis[i%7], "alusta_language", []string{"fi", "sv"}[i%5/4])}
		}
	}
	b.ResetTimer()
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
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}
