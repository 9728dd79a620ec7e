package sandbox

import (
	"cmp"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/alusta/alusta/connector/hubspot"
)

// HubSpot's search limits.
const (
	searchMaxLimit    = 200
	searchMaxResults  = 10000
	searchMaxGroups   = 5
	searchMaxPerGroup = 10
	searchMaxFilters  = 25
)

// filter is a compiled Filter: values parsed once per request.
type filter struct {
	prop    string
	op      string
	numeric bool
	multi   bool // a multi-select enumeration stored "a;b"
	num     float64
	high    float64
	value   string
	highStr string
	values  []string
	nums    []float64
	words   []string // TEXT: the query's words; values holds the properties
	sys     int      // sysField(prop)
}

type sortKey struct {
	prop    string
	sys     int
	numeric bool
	desc    bool
}

type query struct {
	groups [][]filter
	sorts  []sortKey
	text   []string
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) error {
	t, err := pathType(r, "objectType")
	if err != nil {
		return err
	}
	var req hubspot.SearchRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	limit := req.Limit
	switch {
	case limit == 0:
		limit = 10
	case limit < 0 || limit > searchMaxLimit:
		return validationError("Invalid input: limit must be between 1 and %d, got %d", searchMaxLimit, limit)
	}
	offset := 0
	if req.After != "" {
		if offset, err = strconv.Atoi(req.After); err != nil || offset < 0 {
			return validationError("Invalid input: after %q is not a valid paging cursor", req.After)
		}
	}
	if offset >= searchMaxResults {
		return validationError("There was a problem with the request: the search endpoints return at most %d results for a query; after=%d is past that limit", searchMaxResults, offset)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	q, err := s.st.compile(t, req)
	if err != nil {
		return err
	}
	props := readProps(t, req.Properties)
	now := s.now()
	lag := s.currentFaults().SearchLag
	order := s.st.objects[t].order
	matched := make([]*version, 0, len(order))
	for _, rec := range order {
		v := rec.visible(now, lag)
		if v == nil || v.archived || !q.match(v) {
			continue
		}
		matched = append(matched, v)
	}
	total := len(matched)
	end := min(offset+limit, total)
	if len(q.sorts) > 0 {
		matched = q.sort(matched, end)
	}
	buf := answerBufs.Get().(*[]byte)
	defer answerBufs.Put(buf)
	b := (*buf)[:0]
	b = append(b, `{"total":`...)
	b = strconv.AppendInt(b, int64(total), 10)
	b = append(b, `,"results":[`...)
	for i := offset; i < end; i++ {
		if i > offset {
			b = append(b, ',')
		}
		b = appendObject(b, matched[i], props)
	}
	b = append(b, ']')
	if end < total {
		b = append(b, `,"paging":{"next":{"after":"`...)
		b = strconv.AppendInt(b, int64(end), 10)
		b = append(b, `"}}`...)
	}
	b = append(b, '}')
	*buf = b
	writeRaw(w, http.StatusOK, b)
	return nil
}

// answerBufs recycles search answer buffers (about 100 KB for a full page
// of 200), which would otherwise dominate garbage collection.
var answerBufs = sync.Pool{New: func() any { b := make([]byte, 0, 128<<10); return &b }}

// compile checks a search request against the property definitions.
func (st *state) compile(t string, req hubspot.SearchRequest) (*query, error) {
	q := &query{}
	if len(req.FilterGroups) > searchMaxGroups {
		return nil, validationError("Invalid input: at most %d filterGroups are allowed, got %d", searchMaxGroups, len(req.FilterGroups))
	}
	nfilters := 0
	defs := st.props[t]
	for _, g := range req.FilterGroups {
		if len(g.Filters) > searchMaxPerGroup {
			return nil, validationError("Invalid input: at most %d filters are allowed in a filterGroup, got %d", searchMaxPerGroup, len(g.Filters))
		}
		nfilters += len(g.Filters)
		var fs []filter
		for _, f := range g.Filters {
			d := defs[f.PropertyName]
			if d == nil {
				return nil, validationError("Invalid input: property %q does not exist on %s", f.PropertyName, t)
			}
			cf := filter{prop: f.PropertyName, op: f.Operator, value: f.Value, highStr: f.HighValue, values: f.Values,
				numeric: d.Type == "number" || d.Type == "date" || d.Type == "datetime",
				multi:   d.Type == "enumeration" && d.FieldType == "checkbox", sys: sysField(f.PropertyName)}
			if err := cf.prepare(d.Type); err != nil {
				return nil, err
			}
			fs = append(fs, cf)
		}
		q.groups = append(q.groups, fs)
	}
	if nfilters > searchMaxFilters {
		return nil, validationError("Invalid input: at most %d filters are allowed, got %d", searchMaxFilters, nfilters)
	}
	for _, so := range req.Sorts {
		d := defs[so.PropertyName]
		if d == nil {
			return nil, validationError("Invalid input: cannot sort by %q: property does not exist on %s", so.PropertyName, t)
		}
		q.sorts = append(q.sorts, sortKey{prop: so.PropertyName, sys: sysField(so.PropertyName), desc: so.Direction == "DESCENDING",
			numeric: d.Type == "number" || d.Type == "date" || d.Type == "datetime"})
	}
	if req.Query != "" {
		q.text = tokens(req.Query)
		q.groups = q.textGroups(t, q.groups)
	}
	return q, nil
}

// textGroups keeps the free-text query as a pseudo filter evaluated with
// every group (HubSpot ANDs the query with the filters).
func (q *query) textGroups(t string, groups [][]filter) [][]filter {
	tf := filter{op: "TEXT", values: searchable[t], words: q.text}
	if len(groups) == 0 {
		return [][]filter{{tf}}
	}
	for i := range groups {
		groups[i] = append(groups[i], tf)
	}
	return groups
}

func (f *filter) prepare(typ string) error {
	switch f.op {
	case hubspot.OpEQ, hubspot.OpNEQ, hubspot.OpLT, hubspot.OpLTE, hubspot.OpGT, hubspot.OpGTE:
		if f.numeric {
			n, ok := numericValue(numType(typ), f.value)
			if !ok {
				return validationError("Invalid input: %q is not a valid %s value for %s", f.value, typ, f.prop)
			}
			f.num = n
		}
	case hubspot.OpBetween:
		if f.numeric {
			lo, ok1 := numericValue(numType(typ), f.value)
			hi, ok2 := numericValue(numType(typ), f.highStr)
			if !ok1 || !ok2 {
				return validationError("Invalid input: BETWEEN on %s needs numeric value and highValue", f.prop)
			}
			f.num, f.high = lo, hi
		}
	case hubspot.OpIn, hubspot.OpNotIn:
		if f.numeric {
			for _, v := range f.values {
				n, ok := numericValue(numType(typ), v)
				if !ok {
					return validationError("Invalid input: %q is not a valid %s value for %s", v, typ, f.prop)
				}
				f.nums = append(f.nums, n)
			}
		}
	case hubspot.OpHasProperty, hubspot.OpNotHasProperty:
	case hubspot.OpContainsToken, hubspot.OpNotContainsToken:
		f.value = strings.ToLower(f.value)
	default:
		return validationError("Invalid input: unknown operator %q", f.op)
	}
	return nil
}

// numType maps a property type to the parser numericValue uses; a filter
// on a date property may give a datetime.
func numType(typ string) string {
	if typ == "date" {
		return "datetime"
	}
	return typ
}

func (q *query) match(v *version) bool {
	if len(q.groups) == 0 {
		return true
	}
	for _, g := range q.groups {
		ok := true
		for i := range g {
			if !g[i].match(v) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (f *filter) match(v *version) bool {
	if f.op == "TEXT" {
		return textMatch(v, f.values, f.words)
	}
	if f.numeric {
		n, has := v.num(f.prop, f.sys)
		switch f.op {
		case hubspot.OpHasProperty:
			return has
		case hubspot.OpNotHasProperty:
			return !has
		}
		if !has {
			return false
		}
		switch f.op {
		case hubspot.OpEQ:
			return n == f.num
		case hubspot.OpNEQ:
			return n != f.num
		case hubspot.OpLT:
			return n < f.num
		case hubspot.OpLTE:
			return n <= f.num
		case hubspot.OpGT:
			return n > f.num
		case hubspot.OpGTE:
			return n >= f.num
		case hubspot.OpBetween:
			return n >= f.num && n <= f.high
		case hubspot.OpIn:
			return slices.Contains(f.nums, n)
		case hubspot.OpNotIn:
			return !slices.Contains(f.nums, n)
		}
		return false
	}
	val, has := v.props[f.prop]
	switch f.op {
	case hubspot.OpHasProperty:
		return has
	case hubspot.OpNotHasProperty:
		return !has
	}
	if !has {
		// A record without a value matches no comparison, NEQ and NOT_IN
		// included: HubSpot's index holds only records with a value.
		return false
	}
	switch f.op {
	case hubspot.OpEQ:
		return f.eq(val, f.value)
	case hubspot.OpNEQ:
		return !f.eq(val, f.value)
	case hubspot.OpLT:
		return strings.ToLower(val) < strings.ToLower(f.value)
	case hubspot.OpLTE:
		return strings.ToLower(val) <= strings.ToLower(f.value)
	case hubspot.OpGT:
		return strings.ToLower(val) > strings.ToLower(f.value)
	case hubspot.OpGTE:
		return strings.ToLower(val) >= strings.ToLower(f.value)
	case hubspot.OpBetween:
		l := strings.ToLower(val)
		return l >= strings.ToLower(f.value) && l <= strings.ToLower(f.highStr)
	case hubspot.OpIn:
		return slices.ContainsFunc(f.values, func(x string) bool { return f.eq(val, x) })
	case hubspot.OpNotIn:
		return !slices.ContainsFunc(f.values, func(x string) bool { return f.eq(val, x) })
	case hubspot.OpContainsToken:
		return tokenMatch(val, f.value)
	case hubspot.OpNotContainsToken:
		return !tokenMatch(val, f.value)
	}
	return false
}

// eq compares case-insensitively, as HubSpot's search does; on a
// multi-select a value matches when it is one of the selected options.
func (f *filter) eq(val, want string) bool {
	if f.multi {
		for _, p := range strings.Split(val, ";") {
			if strings.EqualFold(p, want) {
				return true
			}
		}
		return false
	}
	return strings.EqualFold(val, want)
}

// tokens splits text into lower-case words.
func tokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '*' && r != '@' && r != '.' && r != '-' && r != '_'
	})
}

// tokenMatch reports whether a token of val matches pattern (lower case,
// "*" a wildcard), or the whole value does.
func tokenMatch(val, pattern string) bool {
	lv := strings.ToLower(val)
	if ok, _ := path.Match(pattern, lv); ok {
		return true
	}
	for _, tok := range tokens(lv) {
		if ok, _ := path.Match(pattern, tok); ok {
			return true
		}
	}
	return false
}

// textMatch is the free-text query: every query word must prefix a word of
// one of the searchable properties.
func textMatch(v *version, props []string, words []string) bool {
	for _, w := range words {
		found := false
		for _, p := range props {
			for _, tok := range tokens(v.props[p]) {
				if strings.HasPrefix(tok, strings.TrimSuffix(w, "*")) {
					found = true
					break
				}
			}
			if found {
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// sort orders records by the sorts; a record without the value comes
// after those with one in either direction, and ties go by id. Each key is
// read once per record into flat slices (numbers apart from strings, so
// the garbage collector need not scan them) and comparisons touch no maps.
//
// Only the first keep records come back in order (a page needs no more):
// with keep well below len(vs) a bounded heap picks them in n log keep.
func (q *query) sort(vs []*version, keep int) []*version {
	n := len(q.sorts)
	nums := make([]float64, len(vs)*n)
	has := make([]bool, len(vs)*n)
	var strs []string
	for _, k := range q.sorts {
		if !k.numeric {
			strs = make([]string, len(vs)*n)
			break
		}
	}
	for i, v := range vs {
		for j, k := range q.sorts {
			at := i*n + j
			if k.numeric {
				nums[at], has[at] = v.num(k.prop, k.sys)
			} else {
				var s string
				s, has[at] = v.props[k.prop]
				strs[at] = strings.ToLower(s)
			}
		}
	}
	less := func(a, b int) int {
		for j, k := range q.sorts {
			x, y := a*n+j, b*n+j
			switch {
			case has[x] && !has[y]:
				return -1
			case !has[x] && has[y]:
				return 1
			case !has[x] && !has[y]:
				continue
			}
			var c int
			if k.numeric {
				c = cmp.Compare(nums[x], nums[y])
			} else {
				c = strings.Compare(strs[x], strs[y])
			}
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return cmpInt(vs[a].id, vs[b].id)
	}
	var idx []int
	if keep*4 < len(vs) {
		idx = topK(len(vs), keep, less)
	} else {
		idx = make([]int, len(vs))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, less)
		idx = idx[:keep]
	}
	out := make([]*version, len(idx))
	for i, j := range idx {
		out[i] = vs[j]
	}
	return out
}

// topK returns the indexes of the k smallest of n items under cmp, in
// order, keeping a max-heap of the best k seen.
func topK(n, k int, cmp func(a, b int) int) []int {
	if k <= 0 {
		return nil
	}
	h := make([]int, 0, k)
	down := func(i int) {
		for {
			l, big := 2*i+1, i
			if l < len(h) && cmp(h[l], h[big]) > 0 {
				big = l
			}
			if r := l + 1; r < len(h) && cmp(h[r], h[big]) > 0 {
				big = r
			}
			if big == i {
				return
			}
			h[i], h[big] = h[big], h[i]
			i = big
		}
	}
	for i := range n {
		switch {
		case len(h) < k:
			h = append(h, i)
			for j := len(h) - 1; j > 0; {
				p := (j - 1) / 2
				if cmp(h[j], h[p]) <= 0 {
					break
				}
				h[j], h[p] = h[p], h[j]
				j = p
			}
		case cmp(i, h[0]) < 0:
			h[0] = i
			down(0)
		}
	}
	slices.SortFunc(h, cmp)
	return h
}
