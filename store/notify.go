package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Notification states.
const (
	NotePending = "pending"
	NoteSent    = "sent"
	NoteFailed  = "failed"
	// NoteHeld is a message shadow mode would have sent: kept to be
	// listed, never delivered.
	NoteHeld = "held"
	// NoteDropped is a message given up unsent when alusta left shadow
	// mode: a held one, or one still pending from before, by then stale.
	NoteDropped = "dropped"
)

// Notification is one queued message: an e-mail or a webhook call.
type Notification struct {
	ID        int64
	Key       string // one message per key, ever
	Channel   string // "email" or "webhook"
	Recipient string // an address or a URL
	Subject   string
	Body      string
	State     string // on enqueue, pending unless NoteHeld
	Attempts  int
	NextAt    time.Time
	LastError string
	CreatedAt time.Time
	SentAt    *time.Time
}

// EnqueueNotification queues n unless a message with its key was queued
// before, in which case it reports false and changes nothing: enqueueing
// twice for one purpose never sends twice. A held message (NoteHeld)
// replaces a held one of the same key.
func (s *Store) EnqueueNotification(ctx context.Context, n Notification) (bool, error) {
	now := formatTime(s.now())
	q := `INSERT INTO notifications (key, channel, recipient, subject, body, state, next_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`
	state := NotePending
	if n.State == NoteHeld {
		// A held message is what alusta would send now: a later one for
		// the same purpose replaces it, as the latest decision does.
		state = NoteHeld
		q = `INSERT INTO notifications (key, channel, recipient, subject, body, state, next_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET recipient = excluded.recipient,
		subject = excluded.subject, body = excluded.body, created_at = excluded.created_at WHERE state = 'held'`
	}
	res, err := s.db.ExecContext(ctx, q, n.Key, n.Channel, n.Recipient, n.Subject, n.Body, state, now, now)
	if err != nil {
		return false, fmt.Errorf("store: enqueue notification %s: %w", n.Key, err)
	}
	c, _ := res.RowsAffected()
	return c == 1, nil
}

const noteCols = `id, key, channel, recipient, subject, body, state, attempts, next_at, last_error, created_at, sent_at`

func scanNote(sc interface{ Scan(...any) error }) (Notification, error) {
	var n Notification
	var next, created string
	var sent sql.NullString
	if err := sc.Scan(&n.ID, &n.Key, &n.Channel, &n.Recipient, &n.Subject, &n.Body, &n.State, &n.Attempts, &next, &n.LastError, &created, &sent); err != nil {
		return Notification{}, err
	}
	var err error
	if n.NextAt, err = ParseTime(next); err != nil {
		return Notification{}, err
	}
	if n.CreatedAt, err = ParseTime(created); err != nil {
		return Notification{}, err
	}
	if n.SentAt, err = parseTimePtr(sent); err != nil {
		return Notification{}, err
	}
	return n, nil
}

// DueNotifications returns up to limit pending messages due at now,
// oldest first.
func (s *Store) DueNotifications(ctx context.Context, now time.Time, limit int) ([]Notification, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+noteCols+` FROM notifications WHERE state = ? AND next_at <= ? ORDER BY next_at, id LIMIT ?`,
		NotePending, formatTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: due notifications: %w", err)
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		n, err := scanNote(rows)
		if err != nil {
			return nil, fmt.Errorf("store: due notifications: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// NextNotification is when the earliest pending message is due.
func (s *Store) NextNotification(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullString
	if err := s.db.QueryRowContext(ctx, `SELECT min(next_at) FROM notifications WHERE state = ?`, NotePending).Scan(&next); err != nil {
		return time.Time{}, false, fmt.Errorf("store: next notification: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	t, err := ParseTime(next.String)
	return t, err == nil, err
}

// Notifications lists messages whose key starts with prefix, oldest first.
func (s *Store) Notifications(ctx context.Context, prefix string) ([]Notification, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+noteCols+` FROM notifications WHERE substr(key, 1, length(?)) = ? ORDER BY id`, prefix, prefix)
	if err != nil {
		return nil, fmt.Errorf("store: notifications: %w", err)
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		n, err := scanNote(rows)
		if err != nil {
			return nil, fmt.Errorf("store: notifications: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// NotificationSent marks a message delivered.
func (s *Store) NotificationSent(ctx context.Context, id int64) error {
	now := formatTime(s.now())
	_, err := s.db.ExecContext(ctx, `UPDATE notifications SET state = ?, attempts = attempts + 1, sent_at = ?, last_error = '' WHERE id = ?`,
		NoteSent, now, id)
	if err != nil {
		return fmt.Errorf("store: notification %d sent: %w", id, err)
	}
	return nil
}

// NotificationFailed records a failed delivery: to be tried again at next,
// or, when next is zero, given up (the message stays, marked failed).
func (s *Store) NotificationFailed(ctx context.Context, id int64, reason string, next time.Time) error {
	state, at := NotePending, formatTime(next)
	if next.IsZero() {
		state, at = NoteFailed, formatTime(s.now())
	}
	_, err := s.db.ExecContext(ctx, `UPDATE notifications SET state = ?, attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?`,
		state, at, Redact(reason), id)
	if err != nil {
		return fmt.Errorf("store: notification %d failed: %w", id, err)
	}
	return nil
}

// DropNotifications gives up every held or pending message unsent,
// recording reason, and returns how many it dropped. Leaving shadow mode
// calls it, so that the first live cycle does not send a week's old mail.
func (s *Store) DropNotifications(ctx context.Context, reason string) (int, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE notifications SET state = ?, last_error = ? WHERE state IN (?, ?)`,
		NoteDropped, reason, NoteHeld, NotePending)
	if err != nil {
		return 0, fmt.Errorf("store: drop notifications: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// CountNotifications counts messages by state, for metrics.
func (s *Store) CountNotifications(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT state, count(*) FROM notifications GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("store: count notifications: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

// Access is one view of, or action on, client data through alusta.
type Access struct {
	DealID string
	Party  string // who: "provider:123", "orderer:Tampere"
	Action string // what: "view", "accept", ...
	At     time.Time
}

// LogAccess records an access. It must succeed before client data is
// shown: a view that cannot be logged is not made.
func (s *Store) LogAccess(ctx context.Context, a Access) error {
	if a.At.IsZero() {
		a.At = s.now()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO access_log (deal_id, party, action, at) VALUES (?, ?, ?, ?)`,
		a.DealID, a.Party, a.Action, formatTime(a.At))
	if err != nil {
		return fmt.Errorf("store: log access to deal %s: %w", a.DealID, err)
	}
	return nil
}

// AccessLog lists the accesses to one deal's client data, oldest first.
func (s *Store) AccessLog(ctx context.Context, dealID string) ([]Access, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT deal_id, party, action, at FROM access_log WHERE deal_id = ? ORDER BY at, id`, dealID)
	if err != nil {
		return nil, fmt.Errorf("store: access log of deal %s: %w", dealID, err)
	}
	defer rows.Close()
	var out []Access
	for rows.Next() {
		var a Access
		var at string
		if err := rows.Scan(&a.DealID, &a.Party, &a.Action, &at); err != nil {
			return nil, err
		}
		if a.At, err = ParseTime(at); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
