package daemon

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the daemon's Prometheus series; the HubSpot client registers
// its own (calls and 429s by endpoint, rate-limit headroom).
type metrics struct {
	pulled         *prometheus.CounterVec
	decisions      *prometheus.CounterVec
	writes         *prometheus.CounterVec
	cycles         *prometheus.CounterVec
	reloads        *prometheus.CounterVec
	breaches       prometheus.Counter
	webhookTargets prometheus.Counter
	webhookOver    prometheus.Counter
	ruleErrors     *prometheus.CounterVec
	gaps           *prometheus.CounterVec
	lag            prometheus.GaugeFunc
	lastCycle      prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, lag func() float64) (*metrics, error) {
	m := &metrics{
		pulled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "alusta_sync_records_pulled_total", Help: "Records read from HubSpot.",
		}, []string{"object"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "alusta_rules_decisions_total", Help: "Decisions made, by object type and rule.",
		}, []string{"object", "rule"}),
		writes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "alusta_push_writes_total", Help: "Property writes to HubSpot, by outcome.",
		}, []string{"object", "status"}),
		cycles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "alusta_sync_cycles_total", Help: "Sync cycles, by outcome.",
		}, []string{"status"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "alusta_rules_reloads_total", Help: "Rule and mapping reloads, by outcome.",
		}, []string{"status"}),
		breaches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "alusta_sla_breaches_total", Help: "SLA cycles that breached.",
		}),
		webhookTargets: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "alusta_webhook_records_total", Help: "Records named by verified webhook events.",
		}),
		webhookOver: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "alusta_webhook_records_overflow_total", Help: "Records named by webhooks while the pending set was full, left to an incremental pull.",
		}),
		ruleErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "alusta_rule_errors_total", Help: "Rule conditions that failed on a record and counted as false, by rule.",
		}, []string{"rule"}),
		gaps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "alusta_sync_reconcile_gaps_total", Help: "Gaps the full reconcile found and repaired, by kind.",
		}, []string{"object", "kind"}),
		lag: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "alusta_sync_lag_seconds", Help: "How far behind HubSpot the cache is: time since the start of the last successful full cycle.",
		}, lag),
		lastCycle: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "alusta_sync_last_success_timestamp_seconds", Help: "When the last cycle succeeded.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.pulled, m.decisions, m.writes, m.cycles, m.reloads, m.breaches, m.webhookTargets, m.webhookOver, m.ruleErrors, m.gaps, m.lag, m.lastCycle} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) cycle(s Summary, err error) {
	if err != nil {
		m.cycles.WithLabelValues("failed").Inc()
		return
	}
	m.cycles.WithLabelValues("ok").Inc()
	m.lastCycle.SetToCurrentTime()
}
