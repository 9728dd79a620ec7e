package pipelines

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/locale"
)

// Reason says why a provider may not take an order, as a catalogue message
// and its fields, so the same check reads in the portal's language in
// HubSpot and in rules explain.
type Reason struct {
	ID   string // catalogue message id; "" when eligible
	Args []any  // field name, value pairs
}

// In writes the reason in p's language.
func (r Reason) In(p *locale.Printer) string {
	if r.ID == "" {
		return ""
	}
	args := r.Args
	if r.ID == "reason.language" && len(args) == 2 {
		// A language code reads better as the language's name.
		if code, _ := args[1].(string); code == "fi" || code == "sv" || code == "en" {
			args = []any{"Language", p.T("language." + code)}
		}
	}
	return p.T(r.ID, args...)
}

// maxExplanation keeps alusta_decision readable in HubSpot's sidebar and
// well under the property's limit; the full reasoning stays in rules
// explain and the store.
const maxExplanation = 990

// clip shortens s to maxExplanation bytes without splitting a letter, as a
// cut through "ä" would leave invalid UTF-8 that HubSpot rejects.
func clip(s string) string {
	if len(s) <= maxExplanation {
		return s
	}
	cut := maxExplanation
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// ownerName is how coordinators know an owner: the name in HubSpot, else
// the login's local part.
func ownerName(owners []hubspot.Owner, id, email string) string {
	for _, o := range owners {
		if o.ID == id {
			if n := strings.TrimSpace(o.FirstName + " " + o.LastName); n != "" {
				return n
			}
			break
		}
	}
	s, _, _ := strings.Cut(email, "@")
	return s
}

func nameOr(name, id string) string {
	if name == "" {
		return id
	}
	return name
}

// calendarLoc is the zone a calendar's times are written in.
func (r *Rules) calendarLoc(name string) *time.Location {
	if c := r.calendars[name]; c != nil && c.Loc != nil {
		return c.Loc
	}
	return nil
}

// appendHubspotTime appends t.UTC().Format(hubspot.TimeFormat) to dst,
// written by hand: Format reads its layout again for every call, and an
// SLA due time is written for every record decided.
func appendHubspotTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(dst, hubspot.TimeFormat)
	}
	h, mi, s := t.Clock()
	ms := t.Nanosecond() / int(time.Millisecond)
	var b [24]byte
	put := func(i, v, n int) {
		for j := i + n - 1; j >= i; j-- {
			b[j] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, y, 4)
	b[4] = '-'
	put(5, int(mo), 2)
	b[7] = '-'
	put(8, d, 2)
	b[10] = 'T'
	put(11, h, 2)
	b[13] = ':'
	put(14, mi, 2)
	b[16] = ':'
	put(17, s, 2)
	b[19] = '.'
	put(20, ms, 3)
	b[23] = 'Z'
	return append(dst, b[:]...)
}
