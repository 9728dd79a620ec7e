package daemon

import "time"

// dedupe remembers webhook event ids for a window, in bounded memory: a
// map for lookups and a ring in arrival order for expiry, so that forgetting
// an id costs O(1) and no sweep ever walks the whole set. When the ring is
// full the oldest id is forgotten early; a retry of that event then costs one
// needless targeted read, which is harmless.
type dedupe struct {
	window time.Duration
	ids    map[int64]struct{}
	ring   []seenID
	head   int // oldest entry
	n      int // entries in use
}

type seenID struct {
	id int64
	at time.Time
}

func newDedupe(capacity int, window time.Duration) *dedupe {
	return &dedupe{window: window, ids: make(map[int64]struct{}, capacity), ring: make([]seenID, capacity)}
}

// seen reports whether id was recorded within the window before now, and
// records it if not. Callers hold the lock that guards d.
func (d *dedupe) seen(id int64, now time.Time) bool {
	d.expire(now)
	if _, ok := d.ids[id]; ok {
		return true
	}
	if d.n == len(d.ring) {
		d.dropOldest()
	}
	d.ring[(d.head+d.n)%len(d.ring)] = seenID{id: id, at: now}
	d.n++
	d.ids[id] = struct{}{}
	return false
}

// expire forgets ids older than the window; each id is forgotten once, so
// the cost is O(1) amortised per id recorded.
func (d *dedupe) expire(now time.Time) {
	for d.n > 0 && now.Sub(d.ring[d.head].at) > d.window {
		d.dropOldest()
	}
}

func (d *dedupe) dropOldest() {
	delete(d.ids, d.ring[d.head].id)
	d.ring[d.head] = seenID{}
	d.head = (d.head + 1) % len(d.ring)
	d.n--
}

func (d *dedupe) len() int { return d.n }
