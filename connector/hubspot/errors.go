package hubspot

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Error classes. Test for them with errors.Is; the values carrying the
// details are *APIError and *DailyLimitError.
var (
	// ErrUnauthorized means HubSpot rejected the token (401).
	ErrUnauthorized = errors.New("hubspot: token rejected")
	// ErrNotFound means the record, property or group does not exist (404).
	ErrNotFound = errors.New("hubspot: not found")
	// ErrConflict means the record or property already exists (409).
	ErrConflict = errors.New("hubspot: conflict")
	// ErrRateLimited means a 429 that retries did not get past.
	ErrRateLimited = errors.New("hubspot: rate limited")
	// ErrDailyLimit means the account's daily API quota is spent; calls
	// fail without being sent until it resets.
	ErrDailyLimit = errors.New("hubspot: daily API limit reached")
	// ErrNoProgress means a search answered in a way that would make an
	// incremental read loop forever (the server ignored a filter).
	ErrNoProgress = errors.New("hubspot: search made no progress")
	// ErrSearchCap means a search paged up to HubSpot's 10,000-result cap.
	ErrSearchCap = errors.New("hubspot: search reached the 10,000 result cap")
)

// APIError is a non-2xx answer from HubSpot, carrying its Error body.
// The token is never part of it: only the body and the status are kept.
type APIError struct {
	Op            string // what alusta was doing, e.g. "batch update deals"
	Status        int
	Category      string
	Message       string
	CorrelationID string
	Context       map[string][]string
	Errors        []ErrorDetail
	// Policy is the rate limit policy of a 429 (TEN_SECONDLY_ROLLING, ...).
	Policy string
}

// Error reads like "hubspot: batch update deals: 400 VALIDATION_ERROR:
// Property values were not valid (correlation 1234...)"; a 401 reads
// "hubspot: token rejected (401 INVALID_AUTHENTICATION): check hubspot.token",
// since the fix is the same whatever the operation was.
func (e *APIError) Error() string {
	cat := e.Category
	if cat == "" {
		cat = http.StatusText(e.Status)
	}
	if e.Status == http.StatusUnauthorized {
		return fmt.Sprintf("hubspot: token rejected (%d %s): check hubspot.token", e.Status, cat)
	}
	msg := fmt.Sprintf("hubspot: %s: %d %s", e.Op, e.Status, cat)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.CorrelationID != "" {
		msg += " (correlation " + e.CorrelationID + ")"
	}
	return msg
}

// Is reports the class of the error for errors.Is.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrConflict:
		return e.Status == http.StatusConflict
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	}
	return false
}

// DailyLimitError says the daily quota is spent and when it resets. The
// daemon pauses syncing until ResetAt and says so.
type DailyLimitError struct {
	ResetAt time.Time
}

func (e *DailyLimitError) Error() string {
	return fmt.Sprintf("hubspot: daily API limit reached: calls resume at %s", e.ResetAt.UTC().Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, ErrDailyLimit) true.
func (e *DailyLimitError) Unwrap() error { return ErrDailyLimit }

// RecordError is one record's failure inside a batch call (HTTP 207).
type RecordError struct {
	ID string // the input id (or, for creates, the input's index as a decimal string)
	// Property is set when only this property of the record was refused;
	// the record's other properties were written (see BatchUpdate).
	Property string
	Status   string
	Category string
	Message  string
	Context  map[string][]string
}

func (e RecordError) Error() string {
	if e.Property != "" {
		return fmt.Sprintf("hubspot: record %s: property %s: %s: %s", e.ID, e.Property, e.Category, e.Message)
	}
	return fmt.Sprintf("hubspot: record %s: %s: %s", e.ID, e.Category, e.Message)
}
