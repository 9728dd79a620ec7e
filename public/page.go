package public

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/alusta/alusta/forward"
	"github.com/alusta/alusta/signedlink"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed locale/*.json
var localeFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// languages are the page languages, Finnish first (the default).
var languages = []string{"fi", "sv", "en"}

// catalogues holds one text catalogue per language.
var catalogues = func() map[string]map[string]string {
	out := make(map[string]map[string]string, len(languages))
	for _, l := range languages {
		b, err := localeFS.ReadFile("locale/" + l + ".json")
		if err != nil {
			panic(err) // embedded: the package's tests prove it is there
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("public: locale %s: %v", l, err))
		}
		out[l] = m
	}
	return out
}()

type langLink struct {
	Code, Name string
	Current    bool
}

type choice struct{ Code, Label string }

// page is what every template gets.
type page struct {
	Lang  string
	Title string
	T     map[string]string
	Langs []langLink
	// order page
	V         forward.View
	Service   string
	Stage     string
	StartDate string
	Done      string
	Err       string
	CSRF      string
	Action    string
	Reasons   []choice
	// Shadow says answers are not taken now (shadow mode).
	Shadow bool
	// referral page
	R       forward.ReferralView
	Actions []choice
	// problem page
	Heading, Text string
}

// lang picks the page language: ?lang=, else fallback when it is one of
// the page languages, else Finnish.
func lang(r *http.Request, fallback string) string {
	for _, l := range []string{r.URL.Query().Get("lang"), fallback} {
		for _, have := range languages {
			if l == have {
				return l
			}
		}
	}
	return "fi"
}

func newPage(l, title string) page {
	t := catalogues[l]
	p := page{Lang: l, T: t, Title: title}
	for _, code := range languages {
		p.Langs = append(p.Langs, langLink{Code: code, Name: catalogues[code]["lang_name"], Current: code == l})
	}
	return p
}

func (s *Server) render(w http.ResponseWriter, status int, name string, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, name, p); err != nil {
		s.log.Error("public: render page", "page", name, "err", err)
	}
}

// problemPage answers a bad, expired or moved link: 403 for one alusta did
// not make, 410 for one that no longer opens anything.
func (s *Server) problemPage(w http.ResponseWriter, r *http.Request, err error) {
	l := lang(r, "")
	t := catalogues[l]
	status, head, text := http.StatusInternalServerError, t["error_title"], t["error_text"]
	switch {
	case errors.Is(err, signedlink.ErrInvalid):
		status, head, text = http.StatusForbidden, t["invalid_title"], t["invalid_text"]
	case errors.Is(err, signedlink.ErrExpired), errors.Is(err, forward.ErrNotYours):
		status, head, text = http.StatusGone, t["expired_title"], t["expired_text"]
	default:
		s.log.Error("public: order page", "err", err)
	}
	p := newPage(l, head)
	p.Heading, p.Text = head, text
	s.render(w, status, "problem.html", p)
}

// shadowPage answers a provider's or an NGO's answer in shadow mode: it
// is not taken (nothing is written), and the page says so in the reader's
// language; 503 with Retry-After, as the API answers.
func (s *Server) shadowPage(w http.ResponseWriter, r *http.Request) {
	l := lang(r, "")
	t := catalogues[l]
	p := newPage(l, t["shadow_title"])
	p.Heading, p.Text = t["shadow_title"], t["shadow_text"]
	w.Header().Set("Retry-After", strconv.Itoa(int(ShadowRetryAfter/time.Second)))
	s.render(w, http.StatusServiceUnavailable, "problem.html", p)
}

// csrf is the form token of a link: an HMAC bound to the link, so that only
// a page opened through the link can post its answers.
func (s *Server) csrf(token string) string { return s.fw.MAC("csrf", token) }

func (s *Server) orderPage(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	c, err := s.fw.Check(token)
	if err != nil {
		s.problemPage(w, r, err)
		return
	}
	v, err := s.fw.View(r.Context(), c)
	if err != nil {
		s.problemPage(w, r, err)
		return
	}
	// Finnish first: the page is for the provider, whatever the client speaks.
	l := lang(r, "")
	p := newPage(l, catalogues[l]["title"]+" "+v.OrderRef)
	t := p.T
	p.V = v
	p.Service = or(t["service_"+v.Service], v.Service)
	p.Stage = or(t["stage_"+v.Stage], v.Stage)
	p.StartDate = forward.LocalDate(v.StartDate)
	p.CSRF = s.csrf(token)
	p.Action = forward.PathPrefix + token + "?lang=" + l
	p.Shadow = s.shadow
	for _, code := range forward.DeclineReasons {
		p.Reasons = append(p.Reasons, choice{Code: code, Label: t["reason_"+code]})
	}
	p.outcome(r.URL.Query(), "done_"+r.URL.Query().Get("done"))
	s.render(w, http.StatusOK, "order.html", p)
}

// answerForm reads the form a link's page posted, within MaxFormBody, and
// checks its CSRF token; false means the answer to the client is written.
func (s *Server) answerForm(w http.ResponseWriter, r *http.Request, csrf string) bool {
	r.Body = http.MaxBytesReader(w, r.Body, MaxFormBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return false
	}
	if !signedlink.Equal(r.PostForm.Get("csrf"), csrf) {
		s.problemPage(w, r, signedlink.ErrInvalid)
		return false
	}
	return true
}

// outcome shows what the answer posted before the redirect did (post,
// redirect, get): done names the catalogue entry of a change made.
func (p *page) outcome(q url.Values, done string) {
	switch {
	case q.Get("done") != "":
		p.Done = p.T[done]
	case q.Get("nochange") != "":
		p.Done = p.T["nochange"]
	case q.Get("error") != "":
		p.Err = p.T["bad_action"]
	}
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// orderAnswer takes a provider's answer and redirects back to the page
// (post, redirect, get), so that a reload does not post again; a repeated
// post changes nothing anyway.
func (s *Server) orderAnswer(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	c, err := s.fw.Check(token)
	if err != nil {
		s.problemPage(w, r, err)
		return
	}
	if !s.answerForm(w, r, s.csrf(token)) {
		return
	}
	if s.shadow {
		s.shadowPage(w, r)
		return
	}
	a := forward.Answer{Action: r.PostForm.Get("action"), Reason: r.PostForm.Get("reason")}
	if u := strings.TrimSpace(strings.ReplaceAll(r.PostForm.Get("units"), ",", ".")); u != "" {
		n, err := strconv.ParseFloat(u, 64)
		if err != nil {
			n = -1
		}
		a.Units = n
	}
	q := url.Values{}
	q.Set("lang", lang(r, ""))
	changed, err := s.fw.Act(r.Context(), c, a)
	switch {
	case errors.Is(err, forward.ErrAction):
		q.Set("error", "1")
	case errors.Is(err, forward.ErrShadow):
		s.shadowPage(w, r)
		return
	case err != nil:
		s.problemPage(w, r, err)
		return
	case changed:
		q.Set("done", a.Action)
	default:
		q.Set("nochange", "1")
	}
	if a.Action == forward.Decline && err == nil {
		// The page no longer opens for this provider: show the outcome
		// without reading the order again.
		l := lang(r, "")
		p := newPage(l, catalogues[l]["title"])
		p.Heading, p.Text = catalogues[l]["title"], catalogues[l]["done_decline"]
		if !changed {
			p.Text = catalogues[l]["nochange"]
		}
		s.render(w, http.StatusOK, "problem.html", p)
		return
	}
	http.Redirect(w, r, forward.PathPrefix+token+"?"+q.Encode(), http.StatusSeeOther)
}
