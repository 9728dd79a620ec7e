package public

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/alusta/alusta/intake"
)

//go:embed openapi.json
var openAPIDoc []byte

// apiValidator checks requests against the OpenAPI document.
type apiValidator struct {
	router routers.Router
}

func newAPIValidator() (*apiValidator, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openAPIDoc)
	if err != nil {
		return nil, fmt.Errorf("public: openapi document: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("public: openapi document: %w", err)
	}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("public: openapi router: %w", err)
	}
	return &apiValidator{router: r}, nil
}

// check validates r (whose body is body) and returns every problem.
func (v *apiValidator) check(ctx context.Context, r *http.Request, body []byte) []intake.Problem {
	// The router matches on the path alone, whatever host the proxy used.
	rr := r.Clone(ctx)
	rr.URL = &url.URL{Path: r.URL.Path, RawQuery: r.URL.RawQuery}
	rr.Host = ""
	rr.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := v.router.FindRoute(rr)
	if err != nil {
		return []intake.Problem{{Field: "", Problem: "no such operation: " + err.Error()}}
	}
	err = openapi3filter.ValidateRequest(ctx, &openapi3filter.RequestValidationInput{
		Request: rr, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	})
	if err == nil {
		return nil
	}
	var out []intake.Problem
	collectProblems(err, &out)
	return out
}

// collectProblems flattens kin-openapi's error tree into {field, problem}
// pairs, the field named as in the body (client.phone).
func collectProblems(err error, out *[]intake.Problem) {
	switch e := err.(type) {
	case openapi3.MultiError:
		for _, x := range e {
			collectProblems(x, out)
		}
	case *openapi3filter.RequestError:
		if e.Err != nil {
			var se *openapi3.SchemaError
			var me openapi3.MultiError
			if errors.As(e.Err, &me) || errors.As(e.Err, &se) {
				collectProblems(e.Err, out)
				return
			}
		}
		field := "body"
		if e.Parameter != nil {
			field = e.Parameter.Name
		}
		if strings.HasPrefix(e.Reason, "header Content-Type") {
			*out = append(*out, intake.Problem{Field: "Content-Type", Problem: "want application/json"})
			return
		}
		*out = append(*out, intake.Problem{Field: field, Problem: e.Reason + suffix(e.Err)})
	case *openapi3.SchemaError:
		*out = append(*out, intake.Problem{Field: strings.Join(e.JSONPointer(), "."), Problem: e.Reason})
	default:
		var se *openapi3.SchemaError
		if errors.As(err, &se) {
			collectProblems(se, out)
			return
		}
		*out = append(*out, intake.Problem{Field: "body", Problem: err.Error()})
	}
}

func suffix(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}

func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(openAPIDoc)
}

func problem(field, text string) intake.Problem { return intake.Problem{Field: field, Problem: text} }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func writeProblems(w http.ResponseWriter, status int, ps ...intake.Problem) {
	writeJSON(w, status, struct {
		Problems []intake.Problem `json:"problems"`
	}{ps})
}

// ShadowRetryAfter is the wait an orderer is told in shadow mode. Shadow
// mode lasts days, but a client's system that retries hourly picks its
// orders up soon after alusta goes live.
const ShadowRetryAfter = time.Hour

// ShadowProblemType is the RFC 9457 problem type of a refusal in shadow
// mode.
const ShadowProblemType = "tag:alusta,2026:shadow-mode"

// shadowRefusal answers an order or a cancellation in shadow mode: 503
// with an RFC 9457 problem (and the problems list every other error of
// the API has) and Retry-After, storing nothing, so that the orderer's
// system keeps what it sent and sends it again.
func (s *Server) shadowRefusal(w http.ResponseWriter, orderer, what string) {
	s.log.Info("public: refused in shadow mode", "orderer", orderer, "what", what)
	text := "alusta runs in shadow mode and takes no " + what + "s now; nothing was stored: send it again later"
	w.Header().Set("Retry-After", strconv.Itoa(int(ShadowRetryAfter/time.Second)))
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusServiceUnavailable)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(struct {
		Type     string           `json:"type"`
		Title    string           `json:"title"`
		Status   int              `json:"status"`
		Detail   string           `json:"detail"`
		Problems []intake.Problem `json:"problems"`
	}{ShadowProblemType, "alusta runs in shadow mode", http.StatusServiceUnavailable,
		"The service integrator runs alusta beside its existing HubSpot workflows for now and creates nothing through it. " +
			"Keep the " + what + " and send it again after Retry-After seconds; order status still answers.",
		[]intake.Problem{problem("", text)}})
}

// orderer authenticates a request's bearer key; it answers 401 and
// returns "" when the key is missing, unknown or revoked.
func (s *Server) orderer(w http.ResponseWriter, r *http.Request) string {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if ok && strings.TrimSpace(key) != "" {
		name, found, err := s.st.OrdererByKeyHash(r.Context(), intake.HashKey(strings.TrimSpace(key)))
		if err != nil {
			s.log.Error("public: look up intake key", "err", err)
			writeProblems(w, http.StatusInternalServerError, problem("", "internal error"))
			return ""
		}
		if found {
			return name
		}
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="alusta"`)
	writeProblems(w, http.StatusUnauthorized, problem("Authorization", "missing or wrong API key"))
	return ""
}

func (s *Server) statusURL(ref string) string {
	return s.base + "/api/v1/orders/" + url.PathEscape(ref)
}

// orderCreate takes an order: 202 once stored durably, 200 for a repeat,
// 409 for a changed repeat, 422 with every problem, 401, 413.
func (s *Server) orderCreate(w http.ResponseWriter, r *http.Request) {
	orderer := s.orderer(w, r)
	if orderer == "" {
		return
	}
	if s.shadow {
		s.shadowRefusal(w, orderer, "order")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxAPIBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeProblems(w, http.StatusRequestEntityTooLarge, problem("body", fmt.Sprintf("larger than %d bytes", MaxAPIBody)))
			return
		}
		writeProblems(w, http.StatusBadRequest, problem("body", "could not be read"))
		return
	}
	problems := s.api.check(r.Context(), r, body)
	// The rules check what the schema cannot (allowed municipalities,
	// dates, check characters) and word some problems better; they can
	// only judge a body that decodes.
	var o intake.Order
	if err := json.Unmarshal(body, &o); err != nil {
		if len(problems) == 0 {
			problems = append(problems, problem("body", "not a JSON order: "+err.Error()))
		}
	} else {
		problems = merge(problems, s.in.Rules().Check(o))
	}
	if len(problems) > 0 {
		writeProblems(w, http.StatusUnprocessableEntity, problems...)
		return
	}
	outcome, _, err := s.in.Submit(r.Context(), orderer, o)
	if err != nil {
		s.log.Error("public: order not stored", "orderer", orderer, "err", err)
		writeProblems(w, http.StatusServiceUnavailable, problem("", "the order could not be stored; send it again"))
		return
	}
	switch outcome {
	case intake.Conflict:
		writeProblems(w, http.StatusConflict, problem("order_ref", "already used for a different order"))
	case intake.Repeated:
		s.writeStatus(w, r, orderer, o.OrderRef)
	default:
		w.Header().Set("Location", s.statusURL(o.OrderRef))
		writeJSON(w, http.StatusAccepted, map[string]string{"order_ref": o.OrderRef, "status": intake.StatusReceived, "status_url": s.statusURL(o.OrderRef)})
	}
}

// merge joins the schema's problems with the rules' ones; where both name
// a field, the rules' wording (which lists allowed values) wins.
func merge(schema, rules []intake.Problem) []intake.Problem {
	ruled := map[string]bool{}
	for _, p := range rules {
		ruled[p.Field] = true
	}
	out := slices.Clone(rules)
	for _, p := range schema {
		if !ruled[p.Field] && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b intake.Problem) int { return strings.Compare(a.Field, b.Field) })
	return out
}

func (s *Server) writeStatus(w http.ResponseWriter, r *http.Request, orderer, ref string) {
	st, err := s.in.Status(r.Context(), orderer, ref)
	switch {
	case errors.Is(err, intake.ErrNotFound):
		writeProblems(w, http.StatusNotFound, problem("order_ref", "no such order"))
	case err != nil:
		s.log.Error("public: order status", "orderer", orderer, "err", err)
		writeProblems(w, http.StatusServiceUnavailable, problem("", "status not available just now; try again"))
	default:
		writeJSON(w, http.StatusOK, st)
	}
}

// bodiless authenticates a request without a body and checks it (its
// path's order_ref) against the document; it answers and returns "" on
// failure.
func (s *Server) bodiless(w http.ResponseWriter, r *http.Request) string {
	orderer := s.orderer(w, r)
	if orderer == "" {
		return ""
	}
	if ps := s.api.check(r.Context(), r, nil); len(ps) > 0 {
		writeProblems(w, http.StatusUnprocessableEntity, ps...)
		return ""
	}
	return orderer
}

func (s *Server) orderStatus(w http.ResponseWriter, r *http.Request) {
	if orderer := s.bodiless(w, r); orderer != "" {
		s.writeStatus(w, r, orderer, r.PathValue("ref"))
	}
}

func (s *Server) orderCancel(w http.ResponseWriter, r *http.Request) {
	orderer := s.bodiless(w, r)
	if orderer == "" {
		return
	}
	if s.shadow {
		s.shadowRefusal(w, orderer, "cancellation")
		return
	}
	st, err := s.in.Cancel(r.Context(), orderer, r.PathValue("ref"))
	switch {
	case errors.Is(err, intake.ErrNotFound):
		writeProblems(w, http.StatusNotFound, problem("order_ref", "no such order"))
	case errors.Is(err, intake.ErrFinished):
		writeProblems(w, http.StatusConflict, problem("order_ref", "already delivered; it cannot be cancelled"))
	case err != nil:
		s.log.Error("public: cancel order", "orderer", orderer, "err", err)
		writeProblems(w, http.StatusServiceUnavailable, problem("", "not cancelled just now; try again"))
	default:
		writeJSON(w, http.StatusOK, st)
	}
}
