package public

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/alusta/alusta/forward"
)

// referralCSRF is the form token of a referral link, bound to the link as
// the order page's is, under a purpose of its own.
func (s *Server) referralCSRF(token string) string { return s.fw.MAC("referral-csrf", token) }

// referralPage shows an NGO the referral its link names, and the answers
// it may give. It shows nothing of the client.
func (s *Server) referralPage(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	c, err := s.fw.CheckReferral(token)
	if err != nil {
		s.problemPage(w, r, err)
		return
	}
	v, err := s.fw.ViewReferral(r.Context(), c)
	if err != nil {
		s.problemPage(w, r, err)
		return
	}
	l := lang(r, "")
	p := newPage(l, catalogues[l]["referral_title"]+" "+v.ID)
	t := p.T
	p.R = v
	p.Stage = or(t["referral_stage_"+v.Stage], v.Stage)
	p.CSRF = s.referralCSRF(token)
	p.Action = forward.ReferralPathPrefix + token + "?lang=" + l
	p.Shadow = s.shadow
	for _, a := range forward.ReferralActions {
		if forward.ReferralActionAllowed(a, v.Stage) {
			p.Actions = append(p.Actions, choice{Code: a, Label: t["referral_"+a]})
		}
	}
	p.outcome(r.URL.Query(), "referral_done")
	s.render(w, http.StatusOK, "referral.html", p)
}

// referralAnswer takes an NGO's answer and redirects back to the page
// (post, redirect, get); a repeated post changes nothing.
func (s *Server) referralAnswer(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	c, err := s.fw.CheckReferral(token)
	if err != nil {
		s.problemPage(w, r, err)
		return
	}
	if !s.answerForm(w, r, s.referralCSRF(token)) {
		return
	}
	if s.shadow {
		s.shadowPage(w, r)
		return
	}
	action := r.PostForm.Get("action")
	q := url.Values{}
	q.Set("lang", lang(r, ""))
	changed, err := s.fw.ActReferral(r.Context(), c, action)
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
		q.Set("done", action)
	default:
		q.Set("nochange", "1")
	}
	http.Redirect(w, r, forward.ReferralPathPrefix+token+"?"+q.Encode(), http.StatusSeeOther)
}
