package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// Webhook subscription types the sandbox delivers (HubSpot's generic
// object subscriptions, which carry objectTypeId).
const (
	SubscriptionCreation       = "object.creation"
	SubscriptionPropertyChange = "object.propertyChange"
)

// hooks queues webhook events and delivers them in batches.
type hooks struct {
	cfg    Webhook
	now    func() time.Time
	client *http.Client

	mu      sync.Mutex
	queue   []hubspot.WebhookEvent
	eventID int64
	sendMu  sync.Mutex // one delivery at a time, so order holds
}

func newHooks(cfg Webhook, now func() time.Time) *hooks {
	if cfg.MaxBatch <= 0 || cfg.MaxBatch > 100 {
		cfg.MaxBatch = 100
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	return &hooks{cfg: cfg, now: now, client: &http.Client{Timeout: 10 * time.Second}, eventID: 1000}
}

func (h *hooks) add(ev hubspot.WebhookEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.eventID++
	ev.EventID = h.eventID
	ev.PortalID, ev.AppID = h.cfg.PortalID, h.cfg.AppID
	ev.AttemptNumber = 0
	h.queue = append(h.queue, ev)
}

var subscriptionIDs = map[string]int64{SubscriptionCreation: 3100001, SubscriptionPropertyChange: 3100002}

func (s *Server) emitCreate(t string, v *version, source string) {
	if s.hooks == nil {
		return
	}
	s.hooks.add(hubspot.WebhookEvent{
		SubscriptionID: subscriptionIDs[SubscriptionCreation], OccurredAt: v.updated.UnixMilli(),
		SubscriptionType: SubscriptionCreation, ObjectID: v.id, ChangeSource: source, ObjectTypeID: typeIDs[t],
	})
}

func (s *Server) emitChanges(t string, v *version, changed []string, source string) {
	if s.hooks == nil {
		return
	}
	for _, p := range changed {
		s.hooks.add(hubspot.WebhookEvent{
			SubscriptionID: subscriptionIDs[SubscriptionPropertyChange], OccurredAt: v.updated.UnixMilli(),
			SubscriptionType: SubscriptionPropertyChange, ObjectID: v.id, ChangeSource: source,
			PropertyName: p, PropertyValue: v.props[p], ObjectTypeID: typeIDs[t],
		})
	}
}

// FlushWebhooks delivers every queued event now, in batches, and returns
// the first delivery error; undelivered events stay queued for the next
// attempt (at-least-once). Run calls it on every tick; tests call it
// directly instead of waiting for the tick.
func (s *Server) FlushWebhooks(ctx context.Context) error {
	if s.hooks == nil {
		return nil
	}
	return s.hooks.flush(ctx)
}

// PendingWebhooks counts the events not yet delivered.
func (s *Server) PendingWebhooks() int {
	if s.hooks == nil {
		return 0
	}
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return len(s.hooks.queue)
}

func (h *hooks) flush(ctx context.Context) error {
	h.sendMu.Lock()
	defer h.sendMu.Unlock()
	for {
		h.mu.Lock()
		n := min(len(h.queue), h.cfg.MaxBatch)
		batch := make([]hubspot.WebhookEvent, n)
		copy(batch, h.queue[:n])
		h.mu.Unlock()
		if n == 0 {
			return nil
		}
		if err := h.post(ctx, batch); err != nil {
			h.mu.Lock()
			for i := range n {
				h.queue[i].AttemptNumber++
			}
			h.mu.Unlock()
			return err
		}
		h.mu.Lock()
		h.queue = h.queue[n:]
		h.mu.Unlock()
	}
}

func (h *hooks) post(ctx context.Context, batch []hubspot.WebhookEvent) error {
	body, err := json.Marshal(batch)
	if err != nil {
		return fmt.Errorf("sandbox: webhook: encode: %w", err)
	}
	ts := strconv.FormatInt(h.now().UnixMilli(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("sandbox: webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "HubSpot Connect 2.0 (http://dev.hubspot.com/) (alusta sandbox)")
	req.Header.Set(hubspot.HeaderRequestTimestamp, ts)
	req.Header.Set(hubspot.HeaderSignatureV3, hubspot.WebhookSignature(h.cfg.ClientSecret, http.MethodPost, h.cfg.URL, body, ts))
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox: webhook: deliver %d events: %w", len(batch), err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("sandbox: webhook: deliver %d events: target answered %s", len(batch), resp.Status)
	}
	return nil
}

func (s *Server) deliverLoop(ctx context.Context) {
	t := time.NewTicker(s.hooks.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			// One last attempt, so that a clean stop loses no event the
			// target is there to take.
			fctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			if err := s.hooks.flush(fctx); err != nil {
				s.log.Warn("sandbox: webhook events undelivered at shutdown", "err", err, "pending", s.PendingWebhooks())
			}
			cancel()
			return
		case <-t.C:
			if err := s.hooks.flush(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("sandbox: webhook delivery failed; will retry", "err", err)
			}
		}
	}
}
