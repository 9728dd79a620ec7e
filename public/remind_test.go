package public

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/daemon"
	"github.com/alusta/alusta/notify"
	"github.com/alusta/alusta/notify/smtptest"
	"github.com/alusta/alusta/store"
)

type hookCall struct {
	url, sig, ts string
	body         []byte
}

// TestProviderWebhookAndReminder: a provider with its own system gets a
// signed webhook besides the mail, and a provider who has not answered by
// the acceptance clock's warning gets one reminder, by both ways.
func TestProviderWebhookAndReminder(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the order loop")
	}
	r := startRig(t)
	ctx := context.Background()
	calls := make(chan hookCall, 64)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		select { // never block the queue's worker on a slow test
		case calls <- hookCall{url: "http://" + req.Host + req.URL.String(), sig: req.Header.Get(notify.SignatureHeader),
			ts: req.Header.Get(notify.TimestampHeader), body: b}:
		default:
		}
	}))
	defer hook.Close()
	var ins []hubspot.BatchUpdateInput
	err := r.client.List(ctx, hubspot.Companies, []string{"name"}, func(cs []hubspot.Object) error {
		for _, c := range cs {
			ins = append(ins, hubspot.BatchUpdateInput{ID: c.ID, Properties: map[string]string{"alusta_provider_webhook": hook.URL + "/orders"}})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.client.BatchUpdate(ctx, hubspot.Companies, ins); err != nil {
		t.Fatal(err)
	}
	// HubSpot sends a webhook for each company changed. Without it, a
	// change that lands while the daemon's first read of companies runs is
	// left to the next full cycle, an hour away, and until then the daemon
	// knows no provider to forward the order to.
	changes := make([]daemon.Change, len(ins))
	for i, in := range ins {
		changes[i] = daemon.Change{Target: daemon.Target{ObjectType: hubspot.Companies, ID: in.ID}}
	}
	r.daemon.Enqueue(changes)

	if code, body := r.postOrder(t, r.key, order("HOOK-1")); code != 202 {
		t.Fatalf("post: got %d %s", code, body)
	}
	to, _, link := r.mailFor(t, "HOOK-1")
	call := waitCall(t, calls, `"event":"order.assigned","deal_id"`, `"order_ref":"HOOK-1"`)
	if want := hubspot.WebhookSignature("hook-secret", "POST", call.url, call.body, call.ts); call.sig != want {
		t.Fatalf("webhook signature: got %q, want %q", call.sig, want)
	}
	var msg map[string]any
	if err := json.Unmarshal(call.body, &msg); err != nil {
		t.Fatal(err)
	}
	so := r.createdOrder(t, "HOOK-1")
	if msg["event"] != "order.assigned" || msg["order_ref"] != "HOOK-1" || msg["deal_id"] != so.DealID || msg["link"] != link {
		t.Fatalf("webhook body: got %s, want order.assigned for HOOK-1, deal %s, with the mail's link", call.body, so.DealID)
	}
	for _, secret := range []string{"Virtanen", "Pyynikintie", "765 4321", "131052"} {
		if strings.Contains(string(call.body), secret) {
			t.Fatalf("the webhook holds client data %q", secret)
		}
	}

	// A week later, unanswered: one reminder, however often the deal is
	// decided again.
	r.offset.Store(int64(7 * 24 * time.Hour))
	for range 2 {
		r.daemon.Enqueue([]daemon.Change{{Target: daemon.Target{ObjectType: hubspot.Deals, ID: so.DealID}}})
		waitFor(t, "the reminder", func() bool {
			ns, _ := r.st.Notifications(ctx, "order/"+so.DealID+"/")
			sent := 0
			for _, n := range ns {
				if strings.Contains(n.Key, "/reminder/") && n.State == store.NoteSent {
					sent++
				}
			}
			return sent == 2
		})
	}
	mctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, ok := r.smtp.Wait(mctx, func(m smtptest.Mail) bool {
		return m.To[0] == to && strings.Contains(m.Data, "Muistutus") && strings.Contains(m.Data, "HOOK-1")
	}); !ok {
		t.Fatal("no reminder mail to the provider")
	}
	waitCall(t, calls, `"event":"order.reminder"`, `"order_ref":"HOOK-1"`)
	reminders := 0
	for _, m := range r.smtp.Mails() {
		if strings.Contains(m.Data, "Muistutus") && strings.Contains(m.Data, "Order number: HOOK-1") {
			reminders++
		}
	}
	if reminders != 1 {
		t.Fatalf("got %d reminder mails, want 1", reminders)
	}
}

// waitCall waits for a webhook call whose body holds every one of parts;
// calls about the demo's own orders are passed over.
func waitCall(t *testing.T, calls chan hookCall, parts ...string) hookCall {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case c := <-calls:
			ok := true
			for _, p := range parts {
				ok = ok && strings.Contains(string(c.body), p)
			}
			if ok {
				return c
			}
		case <-deadline:
			t.Fatalf("no webhook call with %v arrived", parts)
		}
	}
}
