package pipelines

// working is the State one decision sees: the caller's State, read through
// and never written, with the decision's own moves kept beside it. The
// moves become the decision's Change as they are. Copying the shared maps
// for every decision, and comparing them after to find what moved, was a
// fifth of deciding; one decision moves a handful of keys, so the moves are
// short lists, each key once in its list.
type working struct {
	base                    *State
	rotation                []rotationMove
	weights                 []weightsMove
	openOrders, openTickets []countMove // differences to base
}

type rotationMove struct{ key, id string }

type weightsMove struct {
	key string
	w   map[string]float64
}

type countMove struct {
	id string
	n  int
}

func (w *working) rotationOf(key string) string {
	for _, m := range w.rotation {
		if m.key == key {
			return m.id
		}
	}
	return w.base.Rotation[key]
}

func (w *working) setRotation(key, id string) {
	for i := range w.rotation {
		if w.rotation[i].key == key {
			w.rotation[i].id = id
			return
		}
	}
	w.rotation = append(w.rotation, rotationMove{key, id})
}

// weightsOf returns the weight map of key. It is shared with the states
// the caller keeps: replace it with setWeights, never change it.
func (w *working) weightsOf(key string) map[string]float64 {
	for _, m := range w.weights {
		if m.key == key {
			return m.w
		}
	}
	return w.base.Weights[key]
}

func (w *working) setWeights(key string, m map[string]float64) {
	for i := range w.weights {
		if w.weights[i].key == key {
			w.weights[i].w = m
			return
		}
	}
	w.weights = append(w.weights, weightsMove{key, m})
}

func (w *working) openOrdersOf(id string) int { return w.base.OpenOrders[id] + moved(w.openOrders, id) }

func (w *working) openTicketsOf(id string) int {
	return w.base.OpenTickets[id] + moved(w.openTickets, id)
}

func (w *working) addOrders(id string, n int) { w.openOrders = move(w.openOrders, id, n) }

func (w *working) addTickets(id string, n int) { w.openTickets = move(w.openTickets, id, n) }

func moved(ms []countMove, id string) int {
	for _, m := range ms {
		if m.id == id {
			return m.n
		}
	}
	return 0
}

func move(ms []countMove, id string, n int) []countMove {
	for i := range ms {
		if ms[i].id == id {
			ms[i].n += n
			return ms
		}
	}
	return append(ms, countMove{id, n})
}

// change is the Change of the moves and the record's new memory rs, which
// becomes the change's. Counts that came back to where they were are left
// out, so that applying the change adds no zero entries to a State.
func (w *working) change(key string, rs *RecordState) Change {
	return Change{key: key, record: &changeRecord{rs: rs}, rotation: w.rotation, weights: w.weights,
		openOrders: dropZero(w.openOrders), openTickets: dropZero(w.openTickets)}
}

func dropZero(ms []countMove) []countMove {
	out := ms[:0]
	for _, m := range ms {
		if m.n != 0 {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
