package report

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/alusta/alusta/store"
)

// unlockPrefix keys the record of each unlock in the store's state table.
const unlockPrefix = "report/unlock/"

// Unlocking is rare and deliberate: a locked month was billed, so who did it,
// when and why is kept. A month whose billed figures already produced
// corrections in later months stays locked, as unlocking it would bill
// those changes twice.

// Unlock is one unlocked month, as recorded.
type Unlock struct {
	Month  string    `json:"month"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// ErrNotLocked is returned when unlocking a month that is not locked.
var ErrNotLocked = errors.New("not locked")

// UnlockMonth makes a locked month's billing basis live again and records
// who unlocked it and why.
func UnlockMonth(ctx context.Context, s *store.Store, u Unlock) error {
	if strings.TrimSpace(u.Reason) == "" {
		return fmt.Errorf("report: unlock %s: a reason is required", u.Month)
	}
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("report: unlock %s: %w", u.Month, err)
	}
	defer tx.Rollback()
	if err := unlockTx(ctx, tx, u.Month); err != nil {
		return fmt.Errorf("report: unlock %s: %w", u.Month, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("report: unlock %s: %w", u.Month, err)
	}
	key := unlockPrefix + u.Month + "/" + u.At.UTC().Format(time.RFC3339)
	if err := s.SaveState(ctx, key, u); err != nil {
		return fmt.Errorf("report: unlock %s: record it: %w", u.Month, err)
	}
	return nil
}

func unlockTx(ctx context.Context, tx *sql.Tx, month string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM billing_locks WHERE month = ?`, month).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return ErrNotLocked
	}
	var later []string
	rows, err := tx.QueryContext(ctx, `SELECT seen_month, count(*) FROM billing_corrections WHERE orig_month = ? GROUP BY seen_month ORDER BY seen_month`, month)
	if err != nil {
		return err
	}
	for rows.Next() {
		var seen string
		var k int
		if err := rows.Scan(&seen, &k); err != nil {
			rows.Close()
			return err
		}
		later = append(later, fmt.Sprintf("%s (%d rows)", seen, k))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(later) > 0 {
		return fmt.Errorf("its orders were corrected in later months, %s: unlocking would bill those changes twice", strings.Join(later, ", "))
	}
	for _, q := range []string{
		`DELETE FROM billing_locked_rows WHERE month = ?`,
		`DELETE FROM billing_billed WHERE month = ?`,
		`DELETE FROM billing_locks WHERE month = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, month); err != nil {
			return err
		}
	}
	return nil
}

// Unlocks lists the recorded unlocks, oldest first.
func Unlocks(ctx context.Context, s *store.Store) ([]Unlock, error) {
	var out []Unlock
	err := s.LoadStates(ctx, unlockPrefix, func(_ string, value []byte) error {
		var u Unlock
		if err := json.Unmarshal(value, &u); err != nil {
			return err
		}
		out = append(out, u)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("report: unlocks: %w", err)
	}
	return out, nil
}
