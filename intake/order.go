// Package intake takes service orders from orderers (a city, a wellbeing
// services county) without a HubSpot seat: through the public API or a CSV
// file. An order is stored durably before it is acknowledged, becomes a deal
// in the orders pipeline and a contact for the client in HubSpot (each
// created at most once), and its client details are then erased from alusta:
// HubSpot is the system of record, alusta only passes them through.
//
// It is a top-level package because order intake is a job of its own that
// none of the mandated folders describes: it is neither a connector (it
// uses one), a rule engine nor a mapping.
package intake

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Order is an order as an orderer sends it. The JSON names are the API's
// public contract (see the OpenAPI document).
type Order struct {
	OrderRef         string  `json:"order_ref"`
	Service          string  `json:"service"`
	Municipality     string  `json:"municipality"`
	StartDate        string  `json:"start_date"`
	Units            float64 `json:"units"`
	Unit             string  `json:"unit"`
	Payer            string  `json:"payer"`
	Language         string  `json:"language"`
	ClientChoice     string  `json:"client_choice,omitempty"`
	NotesForProvider string  `json:"notes_for_provider,omitempty"`
	Client           Client  `json:"client"`
}

// Client is the person the service is for.
type Client struct {
	FirstName  string `json:"first_name"`
	LastName   string `json:"last_name"`
	Address    string `json:"address"`
	PostalCode string `json:"postal_code"`
	Phone      string `json:"phone"`
	Email      string `json:"email,omitempty"`
	PersonalID string `json:"personal_id,omitempty"`
}

// Problem is one thing wrong with an order: the field, as the API names
// it (client.phone), and what is wrong, in words an orderer's developer
// can act on.
type Problem struct {
	Field   string `json:"field"`
	Problem string `json:"problem"`
}

func (p Problem) String() string { return p.Field + ": " + p.Problem }

// Services are the service codes an order may name.
var Services = []string{"neuvonta", "turvapalvelu", "siivous", "kauppa", "ateria", "hoitajavuokraus", "avustaja", "kotihoito", "lastenhoito"}

// DefaultMunicipalities are the Kotitori area's municipalities.
var DefaultMunicipalities = []string{"Tampere", "Kangasala", "Lempäälä", "Nokia", "Orivesi", "Pirkkala", "Ylöjärvi"}

// Rules are what an order is checked against beyond its shape.
type Rules struct {
	Municipalities []string
	// AcceptPersonalID admits a personal identity code in an order; when
	// false, an order with one is refused rather than silently stripped.
	AcceptPersonalID bool
}

var (
	refPattern      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`)
	postalPattern   = regexp.MustCompile(`^[0-9]{5}$`)
	phonePattern    = regexp.MustCompile(`^\+?[0-9][0-9 ()-]{5,19}$`)
	emailPattern    = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	languagePattern = regexp.MustCompile(`^[a-z]{2}$`)
	companyPattern  = regexp.MustCompile(`^[0-9]{1,20}$`)
	businessPattern = regexp.MustCompile(`^[0-9]{7}-[0-9]$`)
	hetuPattern     = regexp.MustCompile(`^([0-3][0-9])([01][0-9])([0-9]{2})([-+A-FYXWVU])([0-9]{3})([0-9A-FHJ-NPR-Y])$`)
)

// Check returns every problem of o, in field order; none means valid.
func (r Rules) Check(o Order) []Problem {
	var ps []Problem
	bad := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	required := func(field, v string) bool {
		if strings.TrimSpace(v) == "" {
			bad(field, "required")
			return false
		}
		return true
	}
	switch {
	case !required("order_ref", o.OrderRef):
	case !refPattern.MatchString(o.OrderRef):
		bad("order_ref", "want 1 to 64 letters, digits or . _ : -, starting with a letter or digit")
	case ValidPersonalID(o.OrderRef):
		// The reference is logged and kept: it must not identify the client.
		bad("order_ref", "looks like a personal identity code; use the orderer's own order number")
	}
	if required("service", o.Service) && !slices.Contains(Services, o.Service) {
		bad("service", "unknown service %q; allowed: %s", o.Service, strings.Join(Services, ", "))
	}
	munis := r.Municipalities
	if len(munis) == 0 {
		munis = DefaultMunicipalities
	}
	if required("municipality", o.Municipality) && !slices.Contains(munis, o.Municipality) {
		bad("municipality", "unknown municipality %q; allowed: %s", o.Municipality, strings.Join(munis, ", "))
	}
	if required("start_date", o.StartDate) {
		if _, err := time.Parse(time.DateOnly, o.StartDate); err != nil {
			bad("start_date", "%q: want a date as YYYY-MM-DD", o.StartDate)
		}
	}
	if o.Units <= 0 || o.Units > 10000 {
		bad("units", "%v: want a number above 0 and at most 10000", o.Units)
	}
	if required("unit", o.Unit) && len(o.Unit) > 20 {
		bad("unit", "at most 20 characters")
	}
	if required("payer", o.Payer) && o.Payer != "city" && o.Payer != "client" {
		bad("payer", "%q: want city or client", o.Payer)
	}
	if required("language", o.Language) && !languagePattern.MatchString(o.Language) {
		bad("language", "%q: want a two-letter language code such as fi, sv or en", o.Language)
	}
	switch c := o.ClientChoice; {
	case c == "", companyPattern.MatchString(c):
	case businessPattern.MatchString(c):
		if !validBusinessID(c) {
			bad("client_choice", "%q: the business id's check digit is wrong", c)
		}
	default:
		bad("client_choice", "%q: want a provider's company id (digits) or business id (1234567-8)", c)
	}
	if len(o.NotesForProvider) > 2000 {
		bad("notes_for_provider", "at most 2000 characters")
	}
	cl := o.Client
	required("client.first_name", cl.FirstName)
	required("client.last_name", cl.LastName)
	required("client.address", cl.Address)
	if required("client.postal_code", cl.PostalCode) && !postalPattern.MatchString(cl.PostalCode) {
		bad("client.postal_code", "want five digits")
	}
	if required("client.phone", cl.Phone) && !phonePattern.MatchString(cl.Phone) {
		bad("client.phone", "want a phone number such as +358 40 123 4567")
	}
	if cl.Email != "" && !emailPattern.MatchString(cl.Email) {
		bad("client.email", "want an e-mail address")
	}
	if cl.PersonalID != "" {
		switch {
		case !r.AcceptPersonalID:
			bad("client.personal_id", "not accepted: this service takes no personal identity codes (intake.accept_personal_id is off)")
		case !ValidPersonalID(cl.PersonalID):
			// The value itself is never repeated back: it is a hetu.
			bad("client.personal_id", "not a valid personal identity code")
		}
	}
	return ps
}

// ValidPersonalID checks a Finnish personal identity code, its date and
// check character included.
func ValidPersonalID(s string) bool {
	m := hetuPattern.FindStringSubmatch(strings.ToUpper(s))
	if m == nil {
		return false
	}
	century := map[byte]int{'+': 1800, '-': 1900, 'Y': 1900, 'X': 1900, 'W': 1900, 'V': 1900, 'U': 1900,
		'A': 2000, 'B': 2000, 'C': 2000, 'D': 2000, 'E': 2000, 'F': 2000}[m[4][0]]
	var d, mo, y, n int
	fmt.Sscanf(m[1]+" "+m[2]+" "+m[3]+" "+m[5], "%d %d %d %d", &d, &mo, &y, &n)
	t := time.Date(century+y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d || int(t.Month()) != mo {
		return false
	}
	var num int
	fmt.Sscanf(m[1]+m[2]+m[3]+m[5], "%d", &num)
	return "0123456789ABCDEFHJKLMNPRSTUVWXY"[num%31] == m[6][0]
}

func validBusinessID(s string) bool {
	weights := []int{7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(s[i]-'0') * w
	}
	r := sum % 11
	if r == 1 {
		return false
	}
	check := 0
	if r != 0 {
		check = 11 - r
	}
	return int(s[8]-'0') == check
}
