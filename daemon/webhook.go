package daemon

import (
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// maxWebhookAge is HubSpot's advice: reject a request whose timestamp is
// older than five minutes, so a captured request cannot be replayed later.
const maxWebhookAge = 5 * time.Minute

// maxWebhookBody bounds what one delivery may send; HubSpot batches at most
// 100 events, each well under 1 KiB.
const maxWebhookBody = 1 << 20

// dedupeWindow is how long an event id is remembered: HubSpot retries a
// failed delivery for up to a day, but within the first hour nearly always.
const dedupeWindow = time.Hour

// dedupeCapacity bounds the ids remembered at once (about 50 bytes each):
// a portal busy enough to send more within dedupeWindow has its oldest ids
// forgotten early, which costs a needless read, never a lost change.
const dedupeCapacity = 200_000

// maxTargetsPerDelivery caps the records one delivery may have read at
// once. HubSpot sends at most 100 events a delivery; a delivery naming more
// records than that is not HubSpot's, or is a bulk change that polling
// handles with far fewer calls.
const maxTargetsPerDelivery = 100

// Target names one record a webhook told us about.
type Target struct {
	ObjectType string
	ID         string
}

// Change is one webhook event: a record created, deleted or with one
// property changed to Value.
type Change struct {
	Target
	Property, Value string
}

// Webhooks verifies HubSpot's deliveries and hands the record ids they name
// to enqueue. It remembers recent event ids because HubSpot delivers at
// least once and retries whole batches.
type Webhooks struct {
	Secret string
	// PublicURL is the URL HubSpot calls, when a proxy in front of alusta
	// changes scheme or host; "" rebuilds it from the request.
	PublicURL string
	Now       func() time.Time
	Log       *slog.Logger
	Enqueue   func([]Change)

	mu   sync.Mutex
	seen *dedupe
}

var errSignature = errors.New("signature does not match")

func (h *Webhooks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxWebhookBody+1))
	if err != nil || len(body) > maxWebhookBody {
		http.Error(w, "body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	if err := h.verify(r, body); err != nil {
		h.Log.Warn("webhook rejected", "err", err, "remote", r.RemoteAddr)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	var events []inboundEvent
	if err := json.Unmarshal(body, &events); err != nil {
		h.Log.Warn("webhook rejected", "err", fmt.Errorf("decode events: %w", err))
		http.Error(w, "bad event batch", http.StatusBadRequest)
		return
	}
	changes := h.fresh(events)
	if len(changes) > 0 {
		h.Enqueue(changes)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Webhooks) verify(r *http.Request, body []byte) error {
	ts := r.Header.Get(hubspot.HeaderRequestTimestamp)
	sig := r.Header.Get(hubspot.HeaderSignatureV3)
	if ts == "" || sig == "" {
		return errors.New("missing signature headers")
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q: not epoch milliseconds", ts)
	}
	age := h.Now().Sub(time.UnixMilli(ms))
	if age > maxWebhookAge || age < -maxWebhookAge {
		return fmt.Errorf("timestamp %s outside the %s window", time.UnixMilli(ms).UTC().Format(time.RFC3339), maxWebhookAge)
	}
	want := hubspot.WebhookSignature(h.Secret, r.Method, h.uri(r), body, ts)
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return errSignature
	}
	return nil
}

// uri is the URL as HubSpot called it: the signature covers it.
func (h *Webhooks) uri(r *http.Request) string {
	if h.PublicURL != "" {
		u := strings.TrimRight(h.PublicURL, "/") + r.URL.Path
		if r.URL.RawQuery != "" {
			u += "?" + r.URL.RawQuery
		}
		return u
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.RequestURI()
}

// inboundEvent is a delivered event whose objectId is kept as sent, so
// that one malformed id drops its event rather than the whole delivery.
type inboundEvent struct {
	hubspot.WebhookEvent
	ObjectID json.RawMessage `json:"objectId"`
}

// objectID is the event's record id when it is a positive whole number,
// as HubSpot's ids are; "" otherwise.
func (e inboundEvent) objectID() string {
	id, err := strconv.ParseInt(string(e.ObjectID), 10, 64)
	if err != nil || id <= 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// fresh drops events seen in the last hour, events that name no record of
// a type alusta syncs, and targets beyond the per-delivery cap, and maps the
// rest to changes.
func (h *Webhooks) fresh(events []inboundEvent) []Change {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.Now()
	if h.seen == nil {
		h.seen = newDedupe(dedupeCapacity, dedupeWindow)
	}
	var (
		out              []Change
		targets          = map[Target]bool{}
		invalid, overCap int
	)
	for _, e := range events {
		if e.EventID != 0 && h.seen.seen(e.EventID, now) {
			continue
		}
		typ, id := objectTypeOf(e.WebhookEvent), e.objectID()
		if typ == "" {
			// Notes and other objects alusta does not sync: HubSpot
			// sends them to every subscription of the app.
			continue
		}
		if id == "" {
			invalid++
			continue
		}
		t := Target{ObjectType: typ, ID: id}
		if !targets[t] && len(targets) >= maxTargetsPerDelivery {
			overCap++
			continue
		}
		targets[t] = true
		out = append(out, Change{Target: t, Property: e.PropertyName, Value: e.PropertyValue})
	}
	if invalid > 0 || overCap > 0 {
		// Counts only: the ids came from outside and are not worth a log
		// line each.
		h.Log.Warn("webhook events dropped; polling will find real changes",
			"bad_object_id", invalid, "over_cap", overCap, "cap", maxTargetsPerDelivery)
	}
	return out
}

// objectTypeOf maps an event to its object type: the classic
// subscriptions name it ("deal.propertyChange"), the generic ones carry
// HubSpot's object type id ("object.propertyChange" with "0-3").
func objectTypeOf(e hubspot.WebhookEvent) string {
	kind, _, _ := strings.Cut(e.SubscriptionType, ".")
	if kind == "object" {
		kind = e.ObjectTypeID
	}
	switch kind {
	case "ticket", "0-5":
		return hubspot.Tickets
	case "deal", "0-3":
		return hubspot.Deals
	case "company", "0-2":
		return hubspot.Companies
	}
	return ""
}
