package console

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// sumCounter adds up every series of a counter family in g: the same number
// /metrics shows, summed over its labels.
func sumCounter(g prometheus.Gatherer, name string) (float64, error) {
	mfs, err := g.Gather()
	if err != nil {
		return 0, fmt.Errorf("console: gather metrics: %w", err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum, nil
}
