package sandbox

import (
	"fmt"
	"maps"
	"math"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// firstID is where object ids start: above 2^32, so that a client storing
// ids in 32-bit integers fails against the sandbox as it would in a real
// portal.
const firstID = 5_100_000_001

// version is one immutable state of a record. Every change makes a new
// version, so a search can hold on to what its index saw.
type version struct {
	id       int64
	idStr    string
	props    map[string]string  // every set property, system ones included
	nums     map[string]float64 // numeric value of number/date/datetime properties
	created  time.Time
	updated  time.Time
	archived bool
	archAt   time.Time
}

// System properties read from version fields instead of maps: the sync
// queries filter and sort on them, and map lookups dominate search time.
const (
	sysNone = iota
	sysID
	sysCreated
	sysModified
)

func sysField(prop string) int {
	switch prop {
	case "hs_object_id":
		return sysID
	case "createdate":
		return sysCreated
	case "hs_lastmodifieddate":
		return sysModified
	}
	return sysNone
}

// num is the numeric value of a property, through the fast path for
// system properties.
func (v *version) num(prop string, sys int) (float64, bool) {
	switch sys {
	case sysID:
		return float64(v.id), true
	case sysCreated:
		return float64(v.created.UnixMilli()), true
	case sysModified:
		return float64(v.updated.UnixMilli()), true
	}
	n, ok := v.nums[prop]
	return n, ok
}

// record is one object. search sees prev until cur is older than the
// search lag; prev is nil for a record too new to be indexed.
type record struct {
	cur       *version
	prev      *version
	changedAt time.Time
	// hist is the history of each property changed since creation,
	// newest first (see history).
	hist map[string][]hubspot.ValueTime
}

func (r *record) visible(now time.Time, lag time.Duration) *version {
	if lag <= 0 || !now.Before(r.changedAt.Add(lag)) {
		return r.cur
	}
	return r.prev
}

// collection is the records of one object type in ascending id order.
type collection struct {
	byID  map[int64]*record
	order []*record
}

// assocKey names the associations from one record to one object type.
type assocKey struct {
	from   string
	fromID int64
	to     string
}

// assocLink is one association type between two records.
type assocLink struct {
	category string
	typeID   int
}

// state is everything the portal holds. The Server's mutex guards it.
type state struct {
	// portalID is the Hub ID the sandbox answers with: random for a new
	// seed, kept in the state file, so a store can tell a reseeded or
	// another sandbox from the one it synced.
	portalID int64
	// cleanStop is whether the state file it was read from was written
	// by Close (see stateFile.Clean).
	cleanStop  bool
	nextID     int64
	objects    map[string]*collection
	props      map[string]map[string]*hubspot.Property
	groups     map[string][]hubspot.PropertyGroup
	pipelines  map[string][]hubspot.Pipeline
	owners     []hubspot.Owner
	assocs     map[assocKey]map[int64][]assocLink
	userLabels []assocLabel
	// stageDates are the stage date properties of each stage of tickets
	// and deals, by object type and stage id (see stagedates.go).
	stageDates map[string]map[string]stageDateNames
}

func newState() *state {
	st := &state{
		portalID:  newPortalID(),
		nextID:    firstID,
		objects:   map[string]*collection{},
		props:     map[string]map[string]*hubspot.Property{},
		groups:    map[string][]hubspot.PropertyGroup{},
		pipelines: map[string][]hubspot.Pipeline{},
		assocs:    map[assocKey]map[int64][]assocLink{},
	}
	for _, t := range objectTypes {
		st.objects[t] = &collection{byID: map[int64]*record{}}
		st.props[t] = map[string]*hubspot.Property{}
	}
	return st
}

// objectTypes are the object types the sandbox serves.
var objectTypes = []string{hubspot.Tickets, hubspot.Deals, hubspot.Companies, hubspot.Notes, "contacts"}

// typeIDs are HubSpot's object type ids.
var typeIDs = map[string]string{
	"contacts": "0-1", hubspot.Companies: "0-2", hubspot.Deals: "0-3", hubspot.Tickets: "0-5", hubspot.Notes: "0-46",
}

// objectType resolves the spellings HubSpot accepts in paths: "tickets",
// "ticket", "TICKET", "0-5".
func objectType(s string) (string, bool) {
	s = strings.ToLower(s)
	for _, t := range objectTypes {
		if s == t || s == strings.TrimSuffix(t, "s") || s == typeIDs[t] || (t == hubspot.Companies && s == "company") {
			return t, true
		}
	}
	return "", false
}

// singular is the name HubSpot uses in association type names and messages.
func singular(t string) string {
	if t == hubspot.Companies {
		return "company"
	}
	return strings.TrimSuffix(t, "s")
}

// newVersion builds a version, computing numeric values from the
// property definitions.
func (st *state) newVersion(t string, id int64, props map[string]string, created, updated time.Time) *version {
	v := &version{id: id, idStr: strconv.FormatInt(id, 10), props: props, created: created, updated: updated}
	props["hs_object_id"] = v.idStr
	props["createdate"] = created.UTC().Format(hubspot.TimeFormat)
	props["hs_lastmodifieddate"] = updated.UTC().Format(hubspot.TimeFormat)
	v.nums = make(map[string]float64, 4)
	defs := st.props[t]
	for name, val := range props {
		if d := defs[name]; d != nil {
			if f, ok := numericValue(d.Type, val); ok {
				v.nums[name] = f
			}
		}
	}
	return v
}

// numericValue is the comparable number of a stored value: the number
// itself, or epoch milliseconds for dates and datetimes.
func numericValue(typ, val string) (float64, bool) {
	switch typ {
	case "number":
		f, err := strconv.ParseFloat(val, 64)
		return f, err == nil && !math.IsNaN(f)
	case "date", "datetime":
		t, ok := parseTime(val)
		if !ok {
			return 0, false
		}
		return float64(t.UnixMilli()), true
	}
	return 0, false
}

// parseTime reads the forms HubSpot accepts for dates and datetimes: epoch
// milliseconds, RFC 3339 and a bare date.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700", "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func (st *state) insert(t string, props map[string]string, created, updated time.Time) *version {
	id := st.nextID
	st.nextID++
	v := st.newVersion(t, id, props, created, updated)
	c := st.objects[t]
	st.stampStages(t, v, nil)
	r := &record{cur: v, changedAt: updated}
	c.byID[id] = r
	c.order = append(c.order, r)
	return v
}

// put replaces a record's current version, keeping what search sees.
func (r *record) put(v *version, now time.Time, lag time.Duration) {
	if lag <= 0 || !now.Before(r.changedAt.Add(lag)) {
		r.prev = r.cur
	}
	r.cur = v
	r.changedAt = now
}

// readOnly are the properties no create or update may set.
var readOnly = map[string]bool{"hs_object_id": true, "hs_lastmodifieddate": true}

// propError is one entry of HubSpot's "Property values were not valid".
type propError struct {
	IsValid   bool   `json:"isValid"`
	Message   string `json:"message"`
	Error     string `json:"error"`
	Name      string `json:"name"`
	Localized string `json:"localizedErrorMessage"`
}

// normalize validates input properties against the definitions and returns
// them as HubSpot stores them (datetimes as millisecond ISO, dates as
// YYYY-MM-DD). An empty value clears the property.
func (st *state) normalize(t string, in map[string]string, creating bool) (map[string]string, []propError) {
	out := make(map[string]string, len(in))
	var errs []propError
	bad := func(name, code, msg string) {
		errs = append(errs, propError{Message: msg, Error: code, Name: name, Localized: msg})
	}
	names := slices.Sorted(maps.Keys(in))
	for _, name := range names {
		val := in[name]
		d := st.props[t][name]
		switch {
		case d == nil:
			bad(name, "PROPERTY_DOESNT_EXIST", fmt.Sprintf("Property \"%s\" does not exist", name))
			continue
		case readOnly[name] || (name == "createdate" && !creating) ||
			(d.ModificationMetadata != nil && d.ModificationMetadata.ReadOnlyValue && name != "createdate"):
			bad(name, "READ_ONLY_VALUE", fmt.Sprintf("%s is a read only property; its value cannot be set.", name))
			continue
		}
		if val == "" {
			out[name] = ""
			continue
		}
		norm, code, msg := st.checkValue(t, d, val)
		if code != "" {
			bad(name, code, msg)
			continue
		}
		out[name] = norm
	}
	return out, errs
}

func (st *state) checkValue(t string, d *hubspot.Property, val string) (norm, code, msg string) {
	switch d.Type {
	case "number":
		if _, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err != nil {
			return "", "INVALID_DECIMAL", fmt.Sprintf("%s was not a valid number.", val)
		}
		return strings.TrimSpace(val), "", ""
	case "datetime":
		tm, ok := parseTime(val)
		if !ok {
			return "", "INVALID_DATE", fmt.Sprintf("%s was not a valid long.", val)
		}
		return tm.Format(hubspot.TimeFormat), "", ""
	case "date":
		tm, ok := parseTime(val)
		if !ok {
			return "", "INVALID_DATE", fmt.Sprintf("%s was not a valid date.", val)
		}
		if tm.Hour() != 0 || tm.Minute() != 0 || tm.Second() != 0 || tm.Nanosecond() != 0 {
			return "", "INVALID_DATE", fmt.Sprintf("%s is at %s not midnight!", val, tm.Format("15:04:05.000"))
		}
		return tm.Format(time.DateOnly), "", ""
	case "bool":
		if val != "true" && val != "false" {
			return "", "INVALID_BOOLEAN", fmt.Sprintf("%s was not a valid boolean.", val)
		}
		return val, "", ""
	case "enumeration":
		allowed := st.options(t, d)
		if allowed == nil {
			return val, "", ""
		}
		parts := []string{val}
		if d.FieldType == "checkbox" {
			parts = strings.Split(val, ";")
		}
		for _, p := range parts {
			if !slices.Contains(allowed, p) {
				return "", "INVALID_OPTION", fmt.Sprintf("%s was not one of the allowed options: [%s]", p, strings.Join(allowed, ", "))
			}
		}
		return val, "", ""
	}
	return val, "", ""
}

// options lists an enumeration's allowed values; pipelines, stages and
// owners come from their own tables, as in HubSpot.
func (st *state) options(t string, d *hubspot.Property) []string {
	switch d.Name {
	case "hs_pipeline", "pipeline":
		var ids []string
		for _, p := range st.pipelines[t] {
			ids = append(ids, p.ID)
		}
		return ids
	case "hs_pipeline_stage", "dealstage":
		var ids []string
		for _, p := range st.pipelines[t] {
			for _, sg := range p.Stages {
				ids = append(ids, sg.ID)
			}
		}
		return ids
	case "hubspot_owner_id":
		var ids []string
		for _, o := range st.owners {
			ids = append(ids, o.ID)
		}
		return ids
	}
	if len(d.Options) == 0 {
		return nil
	}
	vals := make([]string, len(d.Options))
	for i, o := range d.Options {
		vals[i] = o.Value
	}
	return vals
}

// merge applies normalized changes to a version's properties and returns
// the new property map and the names whose value changed.
func merge(old map[string]string, changes map[string]string) (map[string]string, []string) {
	next := maps.Clone(old)
	var changed []string
	for _, k := range slices.Sorted(maps.Keys(changes)) {
		v := changes[k]
		prev, had := next[k]
		if v == "" {
			if had {
				delete(next, k)
				changed = append(changed, k)
			}
			continue
		}
		if !had || prev != v {
			next[k] = v
			changed = append(changed, k)
		}
	}
	return next, changed
}

// newPortalID draws a nine-digit Hub ID, as HubSpot's portal ids look
// (and within the int32 that HubSpot's spec gives portalId).
func newPortalID() int64 { return 100_000_000 + mrand.Int64N(900_000_000) }
