package hubspot

import "time"

// Quota is the portal's daily API quota as the client knows it.
type Quota struct {
	// Limit is the daily quota: HubSpot's header, or the configured
	// DailyLimit until a header says; 0 when neither.
	Limit int
	// Used counts this client's calls since the last reset.
	Used int
	// Remaining is what HubSpot's last X-HubSpot-RateLimit-Daily-Remaining
	// header said; -1 when no answer carried it.
	Remaining int
	// ResetAt is when the quota resets (midnight in the portal's zone).
	ResetAt time.Time
	// Spent is whether HubSpot answered a daily 429 since the reset.
	Spent bool
}

// Quota reports the daily quota now, for the operations console.
func (c *Client) Quota() Quota {
	l := c.lim
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.now().Before(l.dailyReset) {
		return Quota{Limit: l.dailyLimit, Remaining: -1, ResetAt: l.nextReset(l.now())}
	}
	return Quota{Limit: l.dailyLimit, Used: l.dailyUsed, Remaining: l.dailyRemaining, ResetAt: l.dailyReset, Spent: l.dailyBlocked}
}
