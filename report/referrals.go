package report

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/pipelines"
	"github.com/alusta/alusta/store"
)

// referralColumns: one row per month × NGO activity × theme. A referral
// counts under each of its needs that the activity answers (under "none"
// when none does). contacted_in_sla are referrals the NGO reached within
// the contact clock (now contacted, started or ended, the clock met);
// started those now started or ended; not_reached those the NGO could not
// reach. median_days_to_contact counts Finnish working days (Monday to
// Friday, public holidays off) from the day of the referral to the day the
// contact clock stopped, over the referrals reached.
var referralColumns = []Column{
	{Name: "month", Kind: Month},
	{Name: "activity_id", Kind: Text},
	{Name: "activity", Kind: Text},
	{Name: "theme", Kind: Text},
	{Name: "referrals", Kind: Int, Sum: true},
	{Name: "contacted_in_sla", Kind: Int, Sum: true},
	{Name: "started", Kind: Int, Sum: true},
	{Name: "not_reached", Kind: Int, Sum: true},
	{Name: "median_days_to_contact", Kind: Decimal},
}

// referralContactGoal is the SLA policy of a referral's contact clock, as
// the rule engine names it.
const referralContactGoal = "referral_contact"

func buildReferrals(ctx context.Context, env Env, p Period) (*Table, error) {
	m := env.Mapping
	if m == nil {
		return nil, errors.New("referrals: no mapping to name the referral pipeline's stages")
	}
	t := &Table{Report: "referrals", Period: p, Columns: referralColumns, Rows: [][]any{}}
	if m.Referrals == nil {
		return t, nil
	}
	// Stage ids to alusta's referral stage names, by the labels the
	// mapping gives them in the referral pipeline.
	stageNames := map[string]string{}
	stages, err := env.Store.Stages(ctx, "tickets")
	if err != nil {
		return nil, err
	}
	for _, st := range stages {
		if st.PipelineLabel != m.Referrals.Pipeline && st.PipelineID != m.Referrals.Pipeline {
			continue
		}
		for name, label := range m.Referrals.Stages {
			if st.Label == label || st.StageID == label {
				stageNames[st.StageID] = name
			}
		}
	}
	companies, err := providerNames(ctx, env.Store)
	if err != nil {
		return nil, err
	}
	tickets, err := env.Store.Records(ctx, "tickets", store.Filter{})
	if err != nil {
		return nil, err
	}
	// The store keeps records under alusta's names (see
	// mappings.Translate), not the portal's properties.
	referralOf, referTo, needsProp, themesProp, stageProp := mappings.KeyReferralOf, "refer_to", "needs", "themes", "stage"
	type key struct{ month, activity, theme string }
	type agg struct {
		referrals, inSLA, started, notReached int64
		days                                  []int64
	}
	groups := map[key]*agg{}
	for _, tk := range tickets {
		if tk.Prop(referralOf) == "" || !p.contains(tk.CreatedAt) {
			continue
		}
		activity := tk.Prop(referTo)
		var themes []string
		offered := splitList(companies[activity].Prop(themesProp))
		for _, n := range splitList(tk.Prop(needsProp)) {
			if slices.Contains(offered, n) {
				themes = append(themes, n)
			}
		}
		if len(themes) == 0 {
			themes = []string{"none"}
		}
		stage := stageNames[tk.Prop(stageProp)]
		reached := stage == "contacted" || stage == "started" || stage == "ended"
		var met bool
		var days int64 = -1
		cycles, err := env.Store.SLACycles(ctx, "tickets", tk.ID)
		if err != nil {
			return nil, err
		}
		for _, c := range cycles {
			if c.Goal != referralContactGoal {
				continue
			}
			met = c.Status == store.SLAMet
			if c.StoppedAt != nil && reached {
				days = workingDaysBetween(c.StartedAt, *c.StoppedAt, env.Loc)
			}
		}
		month := p.rowPeriod(tk.CreatedAt.In(env.Loc).Format("2006-01"))
		for _, th := range themes {
			k := key{month, activity, th}
			a := groups[k]
			if a == nil {
				a = &agg{}
				groups[k] = a
			}
			a.referrals++
			if reached && met {
				a.inSLA++
			}
			if stage == "started" || stage == "ended" {
				a.started++
			}
			if stage == "not_reached" {
				a.notReached++
			}
			if days >= 0 {
				a.days = append(a.days, days)
			}
		}
	}
	for k, a := range groups {
		var med any
		if len(a.days) > 0 {
			med = median(a.days)
		}
		t.Rows = append(t.Rows, []any{k.month, k.activity, companies[k.activity].Prop("name"), k.theme,
			a.referrals, a.inSLA, a.started, a.notReached, med})
	}
	col := columnIndex(referralColumns)
	sortRows(t.Rows, func(a, b []any) bool {
		for _, c := range []string{"month", "activity_id", "activity", "theme"} {
			if x, y := a[col[c]].(string), b[col[c]].(string); x != y {
				return x < y
			}
		}
		return false
	})
	return t, nil
}

// workingDaysBetween counts the Finnish working days after from's day up
// to and including to's day, in loc: a referral on Monday reached on
// Wednesday took two working days, one reached the same day none.
func workingDaysBetween(from, to time.Time, loc *time.Location) int64 {
	from, to = from.In(loc), to.In(loc)
	d := time.Date(from.Year(), from.Month(), from.Day(), 12, 0, 0, 0, loc)
	end := time.Date(to.Year(), to.Month(), to.Day(), 12, 0, 0, 0, loc)
	var n int64
	for d = d.AddDate(0, 0, 1); !d.After(end); d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		if _, holiday := pipelines.FinnishHoliday(d.Year(), d.Month(), d.Day()); holiday {
			continue
		}
		n++
	}
	return n
}

// splitList splits a multi-select value.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ";") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
