package daemon

import (
	"container/heap"
	"time"
)

// wakeQueue holds each record's next SLA deadline, earliest first, so the
// loop sleeps until the next one instead of scanning every record.
type wakeQueue struct {
	items []*wake
	index map[string]*wake
}

type wake struct {
	key string
	at  time.Time
	i   int
}

// set replaces key's deadline; a zero time removes it.
func (q *wakeQueue) set(key string, at time.Time) {
	if q.index == nil {
		q.index = make(map[string]*wake)
	}
	w, ok := q.index[key]
	switch {
	case at.IsZero() && ok:
		heap.Remove((*wakeHeap)(q), w.i)
		delete(q.index, key)
	case at.IsZero():
	case ok:
		w.at = at
		heap.Fix((*wakeHeap)(q), w.i)
	default:
		w = &wake{key: key, at: at}
		q.index[key] = w
		heap.Push((*wakeHeap)(q), w)
	}
}

// next is the earliest deadline, or false when there is none.
func (q *wakeQueue) next() (time.Time, bool) {
	if len(q.items) == 0 {
		return time.Time{}, false
	}
	return q.items[0].at, true
}

// due removes and returns the keys whose deadline is at or before now.
func (q *wakeQueue) due(now time.Time) []string {
	var keys []string
	for len(q.items) > 0 && !q.items[0].at.After(now) {
		w := heap.Pop((*wakeHeap)(q)).(*wake)
		delete(q.index, w.key)
		keys = append(keys, w.key)
	}
	return keys
}

// wakeHeap is wakeQueue seen by container/heap.
type wakeHeap wakeQueue

func (h *wakeHeap) Len() int           { return len(h.items) }
func (h *wakeHeap) Less(i, j int) bool { return h.items[i].at.Before(h.items[j].at) }
func (h *wakeHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].i, h.items[j].i = i, j
}
func (h *wakeHeap) Push(x any) {
	w := x.(*wake)
	w.i = len(h.items)
	h.items = append(h.items, w)
}
func (h *wakeHeap) Pop() any {
	old := h.items
	w := old[len(old)-1]
	h.items = old[:len(old)-1]
	return w
}
