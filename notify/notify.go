// Package notify delivers alusta's outgoing messages (e-mails to providers
// and signed webhook calls to providers' own systems) from a queue kept in
// the store: a message is queued once per purpose, delivered by one worker,
// retried with backoff when delivery fails for a reason worth retrying,
// and marked sent once delivered, so that a restart neither loses nor
// repeats it. Order forwarding uses it today and referrals will.
//
// It is a top-level package because outgoing messages are a job of their
// own that none of the mandated folders (cmd, config, connector,
// pipelines, mappings) describes; the outside systems it talks to (an SMTP
// server, a provider's HTTP endpoint) are reached through small senders in
// this package rather than a connector, since each is a few lines of a
// maintained library.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alusta/alusta/store"
)

// Channels a message goes by.
const (
	Email   = "email"
	Webhook = "webhook"
)

// Message is what a caller queues.
type Message struct {
	// Key names the message's purpose, such as "order/5100001/9001/assigned":
	// one message per key is ever queued.
	Key       string
	Channel   string
	Recipient string // an e-mail address or a URL
	Subject   string
	Body      string // plain text for e-mail, JSON for a webhook
}

// Sender delivers one message. An error wrapped with Permanent is not
// retried.
type Sender interface {
	Send(ctx context.Context, n store.Notification) error
}

// permanent marks a failure that a retry cannot fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks err as not worth retrying (a refused address, a 4xx).
func Permanent(err error) error { return permanent{err} }

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// Options configure a Queue.
type Options struct {
	Store   *store.Store
	Senders map[string]Sender // by channel
	Now     func() time.Time
	Log     *slog.Logger
	// Backoff is the wait before attempt n+1 after n failures; nil means
	// one minute doubling to six hours.
	Backoff    func(attempts int) time.Duration
	Registerer prometheus.Registerer
	// Shadow (sync.mode: shadow) holds every message: Enqueue keeps it,
	// marked held and keyed under ShadowPrefix, to be listed with the
	// other held-back writes, and nothing is delivered.
	Shadow bool
}

// ShadowPrefix begins the key of a message held in shadow mode, so that
// the same purpose can still be queued for real once alusta runs live.
const ShadowPrefix = "shadow/"

// Queue queues messages and, in Run, delivers them.
type Queue struct {
	st      *store.Store
	senders map[string]Sender
	now     func() time.Time
	log     *slog.Logger
	backoff func(int) time.Duration
	kick    chan struct{}
	shadow  bool

	delivered *prometheus.CounterVec
	queued    *prometheus.CounterVec
}

// New returns a queue.
func New(opts Options) (*Queue, error) {
	if opts.Store == nil {
		return nil, errors.New("notify: a store is required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Backoff == nil {
		opts.Backoff = DefaultBackoff
	}
	q := &Queue{st: opts.Store, senders: opts.Senders, now: opts.Now, log: opts.Log, backoff: opts.Backoff,
		kick: make(chan struct{}, 1), shadow: opts.Shadow,
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "alusta_notify_deliveries_total",
			Help: "Delivery attempts of queued messages by channel and result (sent, retry, failed).",
		}, []string{"channel", "result"}),
		queued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "alusta_notify_queued_total",
			Help: "Messages queued by channel.",
		}, []string{"channel"}),
	}
	// pending and failed are read from the store at scrape time, so that
	// an alert sees messages stuck across restarts too.
	backlog := func(state string) prometheus.GaugeFunc {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "alusta_notify_" + state, Help: "Messages in the queue that are " + state + ".",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			n, err := q.st.CountNotifications(ctx)
			if err != nil {
				return -1
			}
			return float64(n[state])
		})
	}
	if opts.Registerer != nil {
		for _, c := range []prometheus.Collector{q.delivered, q.queued, backlog(store.NotePending), backlog(store.NoteFailed)} {
			if err := opts.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("notify: metrics: %w", err)
			}
		}
	}
	return q, nil
}

// DefaultBackoff waits one minute after the first failure, doubling up to
// six hours: an SMTP server down for a night is caught up in the morning.
func DefaultBackoff(attempts int) time.Duration {
	d := time.Minute
	for i := 1; i < attempts && d < 6*time.Hour; i++ {
		d *= 2
	}
	return min(d, 6*time.Hour)
}

// Enqueue queues m unless a message with its key was queued before; it
// reports whether m was new. The message is committed to the store before
// Enqueue returns.
func (q *Queue) Enqueue(ctx context.Context, m Message) (bool, error) {
	if m.Key == "" || m.Recipient == "" {
		return false, fmt.Errorf("notify: enqueue: key and recipient are required")
	}
	if _, ok := q.senders[m.Channel]; !ok {
		return false, fmt.Errorf("notify: enqueue %s: no sender for channel %q", m.Key, m.Channel)
	}
	n := store.Notification{Key: m.Key, Channel: m.Channel, Recipient: m.Recipient, Subject: m.Subject, Body: m.Body}
	if q.shadow {
		n.Key, n.State = ShadowPrefix+m.Key, store.NoteHeld
	}
	added, err := q.st.EnqueueNotification(ctx, n)
	if err != nil {
		return false, fmt.Errorf("notify: %w", err)
	}
	if added && q.shadow {
		q.log.Info("notify: message held (shadow mode)", "key", m.Key, "channel", m.Channel)
		return true, nil
	}
	if added {
		q.queued.WithLabelValues(m.Channel).Inc()
		q.Kick()
	}
	return added, nil
}

// Handle adds the sender of a channel. Call it before Run: the senders
// are not guarded against a Run in progress. It lets a package that needs
// the queue also deliver through it (forward queues its own jobs).
func (q *Queue) Handle(channel string, s Sender) {
	if q.senders == nil {
		q.senders = make(map[string]Sender)
	}
	q.senders[channel] = s
}

// Kick wakes Run to deliver what is due.
func (q *Queue) Kick() {
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// idle is how long Run sleeps with nothing due: a safety net, since
// Enqueue kicks it.
const idle = time.Minute

// Run delivers due messages until ctx ends; in shadow mode it delivers
// nothing, not even what was queued before shadow mode began.
func (q *Queue) Run(ctx context.Context) error {
	if q.shadow {
		q.log.Info("notify: shadow mode: no message is delivered")
		<-ctx.Done()
		return nil
	}
	for {
		if _, err := q.Deliver(ctx); err != nil && ctx.Err() == nil {
			q.log.Error("notify: delivery round failed", "err", err)
		}
		wait := idle
		if next, ok, err := q.st.NextNotification(ctx); err == nil && ok {
			wait = min(max(next.Sub(q.now()), 0), idle)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-q.kick:
			t.Stop()
		case <-t.C:
		}
	}
}

// Deliver sends every message due now and returns how many were sent.
func (q *Queue) Deliver(ctx context.Context) (int, error) {
	if q.shadow {
		return 0, nil
	}
	sent := 0
	for {
		due, err := q.st.DueNotifications(ctx, q.now(), 50)
		if err != nil {
			return sent, fmt.Errorf("notify: %w", err)
		}
		if len(due) == 0 {
			return sent, nil
		}
		for _, n := range due {
			if err := ctx.Err(); err != nil {
				return sent, err
			}
			ok, err := q.deliver(ctx, n)
			if err != nil {
				return sent, err
			}
			if ok {
				sent++
			}
		}
	}
}

func (q *Queue) deliver(ctx context.Context, n store.Notification) (bool, error) {
	s := q.senders[n.Channel]
	var err error
	if s == nil {
		err = Permanent(fmt.Errorf("no sender for channel %q", n.Channel))
	} else {
		err = s.Send(ctx, n)
	}
	if err == nil {
		q.delivered.WithLabelValues(n.Channel, "sent").Inc()
		q.log.Debug("notify: message delivered", "key", n.Key, "channel", n.Channel)
		return true, q.st.NotificationSent(ctx, n.ID)
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	next := time.Time{}
	result := "failed"
	if !IsPermanent(err) {
		next = q.now().Add(q.backoff(n.Attempts + 1))
		result = "retry"
	}
	q.delivered.WithLabelValues(n.Channel, result).Inc()
	q.log.Warn("notify: delivery failed", "key", n.Key, "channel", n.Channel, "attempt", n.Attempts+1, "retry_at", next, "err", err)
	return false, q.st.NotificationFailed(ctx, n.ID, err.Error(), next)
}
