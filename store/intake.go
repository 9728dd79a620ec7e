package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// IntakeKey is an orderer's API key, as stored: its hash, never the key.
type IntakeKey struct {
	ID        int64
	Orderer   string
	Hash      string
	CreatedAt time.Time
	RevokedAt *time.Time
}

// AddIntakeKey stores the hash of a new key and returns its id.
func (s *Store) AddIntakeKey(ctx context.Context, orderer, hash string) (int64, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO intake_keys (orderer, hash, created_at) VALUES (?, ?, ?)`,
		orderer, hash, formatTime(s.now()))
	if err != nil {
		return 0, fmt.Errorf("store: add intake key: %w", err)
	}
	return res.LastInsertId()
}

// IntakeKeys lists every key, revoked ones too, oldest first.
func (s *Store) IntakeKeys(ctx context.Context) ([]IntakeKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, orderer, hash, created_at, revoked_at FROM intake_keys ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: intake keys: %w", err)
	}
	defer rows.Close()
	var out []IntakeKey
	for rows.Next() {
		var k IntakeKey
		var created string
		var revoked sql.NullString
		if err := rows.Scan(&k.ID, &k.Orderer, &k.Hash, &created, &revoked); err != nil {
			return nil, fmt.Errorf("store: intake keys: %w", err)
		}
		if k.CreatedAt, err = ParseTime(created); err != nil {
			return nil, err
		}
		if k.RevokedAt, err = parseTimePtr(revoked); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// ErrNoKey is returned for a key id that does not exist or was revoked.
var ErrNoKey = errors.New("no such active key")

// RevokeIntakeKey revokes a key by id.
func (s *Store) RevokeIntakeKey(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE intake_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`,
		formatTime(s.now()), id)
	if err != nil {
		return fmt.Errorf("store: revoke intake key %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: revoke intake key %d: %w", id, ErrNoKey)
	}
	return nil
}

// OrdererByKeyHash returns the orderer whose active key has this hash.
func (s *Store) OrdererByKeyHash(ctx context.Context, hash string) (string, bool, error) {
	var orderer string
	err := s.db.QueryRowContext(ctx, `SELECT orderer FROM intake_keys WHERE hash = ? AND revoked_at IS NULL`, hash).Scan(&orderer)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: look up intake key: %w", err)
	}
	return orderer, true, nil
}

// Order states in the store. An order is pending until HubSpot has its
// deal and contact, then created; failed means HubSpot refused it for
// good (the error says why).
const (
	OrderPending = "pending"
	OrderCreated = "created"
	OrderFailed  = "failed"
)

// Order is one received order. Payload is empty once erased.
type Order struct {
	Orderer, Ref string
	BodyHash     string
	Payload      []byte
	State        string
	DealID       string
	ContactID    string
	Error        string
	Attempts     int
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// ErrOrderExists is returned by AddOrder when the orderer already has an
// order with the reference; the existing order comes with it.
var ErrOrderExists = errors.New("order reference exists")

// AddOrder stores a new order durably (committed before it returns). For a
// reference the orderer used before, it returns the stored order and
// ErrOrderExists.
func (s *Store) AddOrder(ctx context.Context, o Order) (Order, error) {
	now := formatTime(s.now())
	res, err := s.db.ExecContext(ctx, `INSERT INTO orders (orderer, order_ref, body_hash, payload, state, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (orderer, order_ref) DO NOTHING`,
		o.Orderer, o.Ref, o.BodyHash, string(o.Payload), OrderPending, now, now)
	if err != nil {
		return Order{}, fmt.Errorf("store: add order %s: %w", o.Ref, err)
	}
	n, _ := res.RowsAffected()
	if n == 1 {
		// The store syncs its write-ahead log lazily (synchronous=NORMAL),
		// which a power cut could undo; an accepted order must survive
		// one, so its commit is synced now.
		if _, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
			return Order{}, fmt.Errorf("store: add order %s: sync: %w", o.Ref, err)
		}
	}
	got, _, err := s.Order(ctx, o.Orderer, o.Ref)
	if err != nil {
		return Order{}, err
	}
	if n == 0 {
		return got, ErrOrderExists
	}
	return got, nil
}

const orderCols = `orderer, order_ref, body_hash, payload, state, deal_id, contact_id, error, attempts, created_at, updated_at`

func scanOrder(sc interface{ Scan(...any) error }) (Order, error) {
	var o Order
	var payload sql.NullString
	var created, updated string
	if err := sc.Scan(&o.Orderer, &o.Ref, &o.BodyHash, &payload, &o.State, &o.DealID, &o.ContactID, &o.Error, &o.Attempts, &created, &updated); err != nil {
		return Order{}, err
	}
	if payload.Valid {
		o.Payload = []byte(payload.String)
	}
	var err error
	if o.CreatedAt, err = ParseTime(created); err != nil {
		return Order{}, err
	}
	if o.UpdatedAt, err = ParseTime(updated); err != nil {
		return Order{}, err
	}
	return o, nil
}

// Order returns one order of an orderer.
func (s *Store) Order(ctx context.Context, orderer, ref string) (Order, bool, error) {
	o, err := scanOrder(s.db.QueryRowContext(ctx, `SELECT `+orderCols+` FROM orders WHERE orderer = ? AND order_ref = ?`, orderer, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, false, nil
	}
	if err != nil {
		return Order{}, false, fmt.Errorf("store: order %s: %w", ref, err)
	}
	return o, true, nil
}

// OrderByDeal returns the order whose deal is dealID.
func (s *Store) OrderByDeal(ctx context.Context, dealID string) (Order, bool, error) {
	o, err := scanOrder(s.db.QueryRowContext(ctx, `SELECT `+orderCols+` FROM orders WHERE deal_id = ?`, dealID))
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, false, nil
	}
	if err != nil {
		return Order{}, false, fmt.Errorf("store: order of deal %s: %w", dealID, err)
	}
	return o, true, nil
}

// PendingOrders lists the orders HubSpot does not have yet, oldest first:
// what a start-up recovers.
func (s *Store) PendingOrders(ctx context.Context) ([]Order, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+orderCols+` FROM orders WHERE state = ? ORDER BY created_at`, OrderPending)
	if err != nil {
		return nil, fmt.Errorf("store: pending orders: %w", err)
	}
	defer rows.Close()
	var out []Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, fmt.Errorf("store: pending orders: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// OrderAttempt records a failed attempt to create an order in HubSpot.
// final marks the order failed for good.
func (s *Store) OrderAttempt(ctx context.Context, orderer, ref, reason string, final bool) error {
	state := OrderPending
	if final {
		state = OrderFailed
	}
	_, err := s.db.ExecContext(ctx, `UPDATE orders SET attempts = attempts + 1, error = ?, state = ?, updated_at = ?
		WHERE orderer = ? AND order_ref = ?`, Redact(reason), state, formatTime(s.now()), orderer, ref)
	if err != nil {
		return fmt.Errorf("store: order %s attempt: %w", ref, err)
	}
	return nil
}

// OrderCreated records the deal and contact HubSpot confirmed and erases
// the order's payload, the client's details with it, in one transaction.
// The write-ahead log is then checkpointed and truncated, so that no copy
// of the erased page stays in it.
func (s *Store) OrderCreated(ctx context.Context, orderer, ref, dealID, contactID string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE orders SET deal_id = ?, contact_id = ?, payload = NULL, state = ?, error = '', updated_at = ?
		WHERE orderer = ? AND order_ref = ?`, dealID, contactID, OrderCreated, formatTime(s.now()), orderer, ref)
	if err != nil {
		return fmt.Errorf("store: order %s created: %w", ref, err)
	}
	if err := s.checkpoint(ctx); err != nil {
		return fmt.Errorf("%w: order %s: %w", ErrLogNotEmptied, ref, err)
	}
	return nil
}

// ErrLogNotEmptied is OrderCreated's answer when the order is recorded and
// its payload erased, but a copy may stay in the write-ahead log until the
// next checkpoint.
var ErrLogNotEmptied = errors.New("order recorded, write-ahead log not yet emptied")

// checkpoint copies the write-ahead log into the database and empties it.
// A reader holding an old snapshot keeps it from finishing: SQLite waits
// for such readers up to the busy timeout, then answers busy rather than
// failing, and the erased page stays in the log until a later checkpoint.
func (s *Store) checkpoint(ctx context.Context) error {
	var busy, logged, moved int
	if err := s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logged, &moved); err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	if busy != 0 {
		return errors.New("store: checkpoint: a reader kept the write-ahead log busy")
	}
	return nil
}
