package servicepage

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/alusta/alusta/connector/hubspot"
)

const (
	csrfCookie  = "palvelut_csrf"
	maxBody     = 16 << 10
	maxName     = 100
	maxContact  = 100
	maxMessage  = 1000
	ticketKind  = "palveluhaku"
	idempotency = "palvelut/"
)

var (
	emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	phoneRE = regexp.MustCompile(`^\+?[0-9][0-9 ()-]{5,19}$`)
	idRE    = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (h *Handler) sign(v string) string {
	m := hmac.New(sha256.New, h.secret)
	m.Write([]byte("palvelut-csrf|" + v))
	return hex.EncodeToString(m.Sum(nil))
}

// csrfToken returns the visitor's form token (a double-submit cookie
// signed with the secret, so nobody can plant one), setting the cookie
// when the visitor has no valid one.
func (h *Handler) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && h.validToken(c.Value) {
		return c.Value
	}
	v := newID()
	tok := v + "." + h.sign(v)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: "/palvelut", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: 12 * 3600})
	return tok
}

func (h *Handler) validToken(tok string) bool {
	v, sig, ok := strings.Cut(tok, ".")
	return ok && idRE.MatchString(v) && hmac.Equal([]byte(sig), []byte(h.sign(v)))
}

// clientAddress is the address the rate limit counts: the peer's, not a
// header a client could forge. Behind a proxy, mount the page behind one
// that sets RemoteAddr.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// contact serves POST /palvelut/yhteydenotto: a contact request becomes a
// palveluhaku ticket in HubSpot, or the form comes back listing every
// problem. Nothing the visitor typed is logged or stored by alusta.
func (h *Handler) contact(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, http.StatusText(http.StatusRequestEntityTooLarge), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, http.StatusText(http.StatusBadRequest), http.StatusBadRequest)
		return
	}
	c := language(r)
	reg, err := h.register(r)
	if err != nil {
		h.log.Error("service page: directory", "err", err)
		http.Error(w, c.t("err_unavailable"), http.StatusServiceUnavailable)
		return
	}
	f := formData{
		Name: strings.TrimSpace(r.PostFormValue("name")), Contact: strings.TrimSpace(r.PostFormValue("contact")),
		Service: r.PostFormValue("service"), Municipality: r.PostFormValue("municipality"),
		Message: strings.TrimSpace(r.PostFormValue("message")), Consent: r.PostFormValue("consent") == "yes",
	}
	back := func(status int, errs []formError) {
		d := h.data(w, r, c, reg)
		d.Form, d.Errors = f, errs
		if id := r.PostFormValue("request_id"); idRE.MatchString(id) {
			d.RequestID = id // the same request, so a resend creates one ticket
		}
		for i := range d.FormServices {
			d.FormServices[i].Selected = d.FormServices[i].Value == f.Service
		}
		for i := range d.FormMunicipalities {
			d.FormMunicipalities[i].Selected = d.FormMunicipalities[i].Value == f.Municipality
		}
		h.render(w, "page", d, status)
	}
	ck, err := r.Cookie(csrfCookie)
	tok := r.PostFormValue("csrf")
	if err != nil || ck.Value != tok || !h.validToken(tok) || !idRE.MatchString(r.PostFormValue("request_id")) {
		h.log.Info("service page: contact request refused: bad or missing form token")
		back(http.StatusForbidden, []formError{{Text: c.t("err_csrf")}})
		return
	}
	if r.PostFormValue("website") != "" {
		// A bot filled the field people cannot see: it is told all went
		// well, and nothing is made.
		h.log.Info("service page: contact request dropped by the honeypot")
		http.Redirect(w, r, "/palvelut/kiitos?lang="+c.Lang, http.StatusSeeOther)
		return
	}
	if !h.limit.allow(clientAddress(r), h.now()) {
		h.log.Info("service page: contact request refused: rate limit")
		back(http.StatusTooManyRequests, []formError{{Text: c.t("err_rate")}})
		return
	}
	if errs := validate(c, f, reg); len(errs) > 0 {
		back(http.StatusBadRequest, errs)
		return
	}
	if h.shadow {
		h.log.Info("service page: contact request refused: shadow mode")
		w.Header().Set("Retry-After", "3600")
		back(http.StatusServiceUnavailable, []formError{{Text: c.t("err_shadow")}})
		return
	}
	m := h.m
	field := func(name string) string { return m.Field(hubspot.Tickets, name) }
	props := map[string]string{
		field("subject"):      m.Printer().T("record.contact_subject", "Service", f.Service, "Municipality", f.Municipality),
		field("content"):      m.Printer().T("record.contact_content", "Name", f.Name, "Contact", f.Contact, "Message", f.Message),
		field("pipeline"):     m.PipelineID(hubspot.Tickets),
		field("stage"):        m.StageID(hubspot.Tickets, "new"),
		field("kind"):         ticketKind,
		field("service"):      f.Service,
		field("municipality"): f.Municipality,
		field("language"):     c.Lang,
		field("source"):       "FORM",
	}
	delete(props, "")
	t, err := h.tickets.CreateOnce(r.Context(), hubspot.Tickets, idempotency+r.PostFormValue("request_id"), hubspot.ObjectInput{Properties: props})
	if err != nil {
		// The error may quote what was sent; log only that it failed.
		h.log.Warn("service page: palveluhaku ticket not created", "service", f.Service, "municipality", f.Municipality)
		back(http.StatusServiceUnavailable, []formError{{Text: c.t("err_unavailable")}})
		return
	}
	h.log.Info("service page: palveluhaku ticket created", "ticket", t.ID, "service", f.Service, "municipality", f.Municipality)
	http.Redirect(w, r, "/palvelut/kiitos?lang="+c.Lang, http.StatusSeeOther)
}

// validate lists every problem of a request, in the order of the form.
func validate(c catalog, f formData, reg *register) []formError {
	var errs []formError
	if f.Name == "" || utf8.RuneCountInString(f.Name) > maxName {
		errs = append(errs, formError{"name", c.t("err_name")})
	}
	if utf8.RuneCountInString(f.Contact) > maxContact || !(emailRE.MatchString(f.Contact) || phoneRE.MatchString(f.Contact)) {
		errs = append(errs, formError{"contact", c.t("err_contact")})
	}
	if !slices.Contains(reg.services, f.Service) {
		errs = append(errs, formError{"service", c.t("err_service")})
	}
	if !slices.Contains(reg.munis, f.Municipality) {
		errs = append(errs, formError{"municipality", c.t("err_municipality")})
	}
	if utf8.RuneCountInString(f.Message) > maxMessage {
		errs = append(errs, formError{"message", c.t("err_message")})
	}
	if !f.Consent {
		errs = append(errs, formError{"consent", c.t("err_consent")})
	}
	return errs
}
