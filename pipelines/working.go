package pipelines

// working is the State one decision sees: the caller's State, read through
// and never written, with the decision's own moves kept beside it. The
// moves become the decision's Change as they are. Copying the shared maps
// for every decision, and comparing them after to find what moved, was a
// fifth of deciding; one decision moves a handful of keys, so the moves are
// short lists, each key once in its list.
type working struct {
	base                    *State
	rotation                []move[string]
	weights                 []move[map[string]float64]
	openOrders, openTickets []move[int] // differences to base
}

// move is one key's new value in a decision: the last id of a rotation,
// a weight map, or a count's difference.
type move[V any] struct {
	key string
	v   V
}

// findMove returns where key is in ms, or -1.
func findMove[V any](ms []move[V], key string) int {
	for i := range ms {
		if ms[i].key == key {
			return i
		}
	}
	return -1
}

// putMove gives key the value v in ms.
func putMove[V any](ms []move[V], key string, v V) []move[V] {
	if i := findMove(ms, key); i >= 0 {
		ms[i].v = v
		return ms
	}
	return append(ms, move[V]{key, v})
}

func (w *working) rotationOf(key string) string {
	if i := findMove(w.rotation, key); i >= 0 {
		return w.rotation[i].v
	}
	return w.base.Rotation[key]
}

func (w *working) setRotation(key, id string) { w.rotation = putMove(w.rotation, key, id) }

// weightsOf returns the weight map of key. It is shared with the states
// the caller keeps: replace it with setWeights, never change it.
func (w *working) weightsOf(key string) map[string]float64 {
	if i := findMove(w.weights, key); i >= 0 {
		return w.weights[i].v
	}
	return w.base.Weights[key]
}

func (w *working) setWeights(key string, m map[string]float64) {
	w.weights = putMove(w.weights, key, m)
}

func (w *working) openOrdersOf(id string) int { return w.base.OpenOrders[id] + moved(w.openOrders, id) }

func (w *working) openTicketsOf(id string) int {
	return w.base.OpenTickets[id] + moved(w.openTickets, id)
}

func (w *working) addOrders(id string, n int) { w.openOrders = addMove(w.openOrders, id, n) }

func (w *working) addTickets(id string, n int) { w.openTickets = addMove(w.openTickets, id, n) }

func moved(ms []move[int], id string) int {
	if i := findMove(ms, id); i >= 0 {
		return ms[i].v
	}
	return 0
}

func addMove(ms []move[int], id string, n int) []move[int] {
	if i := findMove(ms, id); i >= 0 {
		ms[i].v += n
		return ms
	}
	return append(ms, move[int]{id, n})
}

// change is the Change of the moves and the record's new memory rs, which
// becomes the change's. Counts that came back to where they were are left
// out, so that applying the change adds no zero entries to a State.
func (w *working) change(key string, rs *RecordState) Change {
	return Change{key: key, record: &changeRecord{rs: rs}, rotation: w.rotation, weights: w.weights,
		openOrders: dropZero(w.openOrders), openTickets: dropZero(w.openTickets)}
}

func dropZero(ms []move[int]) []move[int] {
	out := ms[:0]
	for _, m := range ms {
		if m.v != 0 {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
