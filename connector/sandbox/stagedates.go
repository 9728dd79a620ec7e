package sandbox

import (
	"fmt"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// HubSpot keeps, per pipeline stage of tickets and deals, two calculated
// and read-only datetime properties: when a record last entered the stage
// and when it last left it. Clients read a record's stage timing from them
// with the record itself, where the property history costs a call per 50
// records. The sandbox derives them from the stage's history whenever the
// stage changes, so that they always agree with propertiesWithHistory.
const (
	enteredPrefix = "hs_v2_date_entered_"
	exitedPrefix  = "hs_v2_date_exited_"
)

// stageProps name the property holding a record's pipeline stage.
var stageProps = map[string]string{hubspot.Tickets: "hs_pipeline_stage", hubspot.Deals: "dealstage"}

// stageDateNames are the two properties of one stage. Records share these
// strings as their property names: a production-sized demo holds hundreds
// of thousands of them.
type stageDateNames struct{ entered, exited string }

// addStageDates defines the stage date properties of every stage of the
// pipelines of tickets and deals, as a portal of today has them.
func (st *state) addStageDates(now time.Time) {
	for t := range stageProps {
		for _, p := range st.pipelines[t] {
			for _, sg := range p.Stages {
				for _, d := range []struct{ prefix, verb, label string }{
					{enteredPrefix, "entered", "Date entered"}, {exitedPrefix, "exited", "Date exited"},
				} {
					st.props[t][d.prefix+sg.ID] = &hubspot.Property{
						Name: d.prefix + sg.ID, Type: "datetime", FieldType: "date", GroupName: groupFor[t],
						Label:       fmt.Sprintf("%s %q", d.label, sg.Label+" ("+p.Label+")"),
						Description: fmt.Sprintf("The date and time when the %s last %s the %q stage, %q pipeline", singular(t), d.verb, sg.Label, p.Label),
						Options:     []hubspot.Option{}, Calculated: true, HubspotDefined: true, CreatedAt: &now, UpdatedAt: &now,
						ModificationMetadata: &hubspot.ModificationMetadata{ReadOnlyDefinition: true, ReadOnlyValue: true},
					}
				}
			}
		}
	}
	st.indexStageDates()
}

// indexStageDates finds the stage date properties the portal defines; a
// portal without them (an older one, or Options.NoStageDates) gets none.
func (st *state) indexStageDates() {
	st.stageDates = map[string]map[string]stageDateNames{}
	for t := range stageProps {
		for _, p := range st.pipelines[t] {
			for _, sg := range p.Stages {
				in, out := st.props[t][enteredPrefix+sg.ID], st.props[t][exitedPrefix+sg.ID]
				if in == nil || out == nil {
					continue
				}
				if st.stageDates[t] == nil {
					st.stageDates[t] = map[string]stageDateNames{}
				}
				st.stageDates[t][sg.ID] = stageDateNames{in.Name, out.Name}
			}
		}
	}
}

// stampStages sets v's stage dates from hist, the stage's history newest
// first; nil means the stage has not changed since v's creation. Per
// stage, entered is the newest change to it, exited the newest change
// away from it: walking the history oldest first, the newer value is set
// last. A change's time is formatted once, for the stage entered and the
// stage left, and not at all where the value is already there. The caller holds the write lock, or v is not yet served.
func (st *state) stampStages(t string, v *version, hist []hubspot.ValueTime) {
	names := st.stageDates[t]
	if len(names) == 0 {
		return
	}
	if len(hist) == 0 {
		cur, ok := v.props[stageProps[t]]
		if !ok {
			return
		}
		hist = []hubspot.ValueTime{{Value: cur, Timestamp: v.created}}
	}
	for i := len(hist) - 1; i >= 0; i-- {
		h := hist[i]
		at, ms := "", float64(h.Timestamp.UnixMilli())
		set := func(name string) {
			if n, ok := v.nums[name]; ok && n == ms {
				return // set already: an update's copy, a seed's restamp
			}
			if at == "" {
				at = h.Timestamp.UTC().Format(hubspot.TimeFormat)
			}
			v.props[name], v.nums[name] = at, ms
		}
		if n, ok := names[h.Value]; ok {
			set(n.entered)
		}
		if i+1 < len(hist) && hist[i+1].Value != h.Value {
			if n, ok := names[hist[i+1].Value]; ok {
				set(n.exited)
			}
		}
	}
}
