package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alusta/alusta/config"
	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/daemon"
	"github.com/alusta/alusta/forward"
	"github.com/alusta/alusta/intake"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/notify"
	"github.com/alusta/alusta/public"
	"github.com/alusta/alusta/servicepage"
	"github.com/alusta/alusta/signedlink"
	"github.com/alusta/alusta/store"
)

// orderLoop is the order loop's parts as run wires them: the intake, the
// notification queue, the forwarder and the public server.
type orderLoop struct {
	mapping *mappings.Mapping // resolved against the portal
	intake  *intake.Intake
	queue   *notify.Queue
	forward *forward.Forwarder
	public  *public.Server
	ln      net.Listener
}

// intakeRules are the checks an order passes, from the settings.
func intakeRules(cfg *config.Config) intake.Rules {
	r := intake.Rules{AcceptPersonalID: cfg.Intake.AcceptPersonalID}
	for _, m := range strings.Split(cfg.Intake.Municipalities, ",") {
		if m = strings.TrimSpace(m); m != "" {
			r.Municipalities = append(r.Municipalities, m)
		}
	}
	return r
}

// linkSecret reads the key signed links are made with, creating it (32
// random bytes, 0600) on first use, so that links in mails already sent
// keep working across restarts.
func linkSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("public.link_secret_file: %w", err)
		}
		key := make([]byte, 32)
		rand.Read(key)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("public.link_secret_file: %w", err)
		}
		if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
			f.Close()
			return nil, fmt.Errorf("public.link_secret_file: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("public.link_secret_file: %w", err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("public.link_secret_file: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("public.link_secret_file %s: want hex: %w", path, err)
	}
	return key, nil
}

// resolvedMapping loads the mapping and resolves its labels in the portal.
func resolvedMapping(ctx context.Context, client *hubspot.Client, dir string) (*mappings.Mapping, error) {
	m, err := mappings.Load(dir)
	if err != nil {
		return nil, err
	}
	pls := map[string][]hubspot.Pipeline{}
	for _, t := range []string{hubspot.Tickets, hubspot.Deals} {
		p, err := client.Pipelines(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("read %s pipelines: %w", t, err)
		}
		pls[t] = p
	}
	if err := m.Resolve(pls); err != nil {
		return nil, err
	}
	return m, nil
}

// forwarding is what both run and sync need to have providers told: the
// resolved mapping, the link key and a forwarder on the store's queue.
type forwarding struct {
	mapping *mappings.Mapping
	secret  []byte
	queue   *notify.Queue
	forward *forward.Forwarder
}

// newForwarding builds the forwarder on a queue with senders (nil for
// none: sync --once only queues, and run delivers later).
func (a *app) newForwarding(ctx context.Context, client *hubspot.Client, st *store.Store, reg prometheus.Registerer,
	senders map[string]notify.Sender, changed, ticketChanged func(string)) (*forwarding, error) {
	cfg := a.cfg
	m, err := resolvedMapping(ctx, client, cfg.Mappings.Dir)
	if err != nil {
		return nil, fmt.Errorf("order loop: %w", err)
	}
	secret, err := linkSecret(cfg.Public.LinkSecretFile)
	if err != nil {
		return nil, err
	}
	signer, err := signedlink.New(secret)
	if err != nil {
		return nil, fmt.Errorf("public.link_secret_file: %w", err)
	}
	// Shadow mode reaches the whole order loop: the queue holds every
	// message, the forwarder takes no answers, the intake no orders.
	shadow := cfg.Sync.Mode == "shadow"
	q, err := notify.New(notify.Options{Store: st, Senders: senders, Log: a.log.With("component", "notify"), Registerer: reg, Shadow: shadow})
	if err != nil {
		return nil, err
	}
	fw, err := forward.New(forward.Options{Client: client, Store: st, Mapping: m, Queue: q, Signer: signer,
		BaseURL: cfg.Public.BaseURL, TTL: cfg.Public.LinkTTL, Changed: changed, TicketChanged: ticketChanged, Shadow: shadow,
		Log: a.log.With("component", "forward")})
	if err != nil {
		return nil, err
	}
	if err := fw.Prepare(ctx); err != nil {
		return nil, err
	}
	return &forwarding{mapping: m, secret: secret, queue: q, forward: fw}, nil
}

// newOrderLoop builds the order loop on the public listener. changed
// wakes the daemon for a deal that changed outside its cycle.
func (a *app) newOrderLoop(ctx context.Context, client *hubspot.Client, st *store.Store, reg prometheus.Registerer,
	ln net.Listener, changed, ticketChanged func(id string), hook http.Handler) (*orderLoop, error) {
	cfg := a.cfg
	senders := map[string]notify.Sender{
		notify.Webhook: notify.NewHook(&http.Client{Timeout: 30 * time.Second}, cfg.Notify.WebhookSecret, nil),
	}
	if s := cfg.Notify.SMTP; s.Host != "" {
		senders[notify.Email] = notify.NewMailer(notify.SMTP{Host: s.Host, Port: s.Port, TLS: s.TLS,
			Username: s.Username, Password: s.Password, From: s.From})
		a.log.Info("mail goes through SMTP", "host", s.Host, "port", s.Port, "tls", s.TLS)
	} else {
		ob, err := notify.NewOutbox(cfg.Notify.OutboxDir, cfg.Notify.SMTP.From)
		if err != nil {
			return nil, err
		}
		senders[notify.Email] = ob
		a.log.Info("no SMTP configured (notify.smtp.host): mail is written as .eml files", "outbox", cfg.Notify.OutboxDir)
	}
	fwd, err := a.newForwarding(ctx, client, st, reg, senders, changed, ticketChanged)
	if err != nil {
		return nil, err
	}
	shadow := cfg.Sync.Mode == "shadow"
	in, err := intake.New(intake.Options{Client: client, Store: st, Mapping: fwd.mapping, Rules: intakeRules(cfg),
		HashKey: fwd.secret, Cancelled: fwd.forward.Cancelled, Created: changed, Shadow: shadow,
		Log: a.log.With("component", "intake"), Registerer: reg})
	if err != nil {
		return nil, err
	}
	if err := in.Prepare(ctx); err != nil {
		return nil, err
	}
	page, err := servicepage.New(servicepage.Options{Mapping: fwd.mapping, Directory: servicepage.StoreDirectory{Store: st},
		Tickets: client, Secret: derivedKey(fwd.secret, "servicepage csrf"), Shadow: shadow, Log: a.log.With("component", "servicepage")})
	if err != nil {
		return nil, err
	}
	srv, err := public.New(public.Options{Intake: in, Forwarder: fwd.forward, Store: st, BaseURL: cfg.Public.BaseURL,
		HubSpotHook: hook, ServicePage: page, RateLimit: cfg.Public.RateLimit, Shadow: shadow, Log: a.log.With("component", "public")})
	if err != nil {
		return nil, err
	}
	return &orderLoop{mapping: fwd.mapping, intake: in, queue: fwd.queue, forward: fwd.forward, public: srv, ln: ln}, nil
}

// derivedKey is a key of its own for one purpose, made from the link
// secret (public.link_secret_file): one secret to configure, and a form's
// CSRF token can never pass for a signed link, nor the other way round.
func derivedKey(secret []byte, purpose string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("alusta key: " + purpose))
	return h.Sum(nil)
}

// referralNotifier has NGOs told of welfare referrals by the forwarder:
// a mail through the notification queue with a signed link to the
// referral's page on the public listener.
type referralNotifier struct{ fw *forward.Forwarder }

var _ daemon.ReferralNotifier = referralNotifier{}

func (n referralNotifier) NotifyReferral(ctx context.Context, r daemon.ReferralNotice) error {
	return n.fw.Referred(ctx, forward.Referral{ID: r.ReferralID, ActivityID: r.ActivityID,
		ActivityName: r.ActivityName, ContactEmail: r.ContactEmail})
}

// ticketChanged returns a function that asks the daemon to read a ticket
// now.
func ticketChanged(d **daemon.Daemon) func(string) {
	return func(id string) {
		if *d != nil {
			(*d).Enqueue([]daemon.Change{{Target: daemon.Target{ObjectType: hubspot.Tickets, ID: id}}})
		}
	}
}

// dealChanged returns a function that asks the daemon to read a deal now.
func dealChanged(d **daemon.Daemon) func(string) {
	return func(id string) {
		if *d != nil {
			(*d).Enqueue([]daemon.Change{{Target: daemon.Target{ObjectType: hubspot.Deals, ID: id}}})
		}
	}
}
