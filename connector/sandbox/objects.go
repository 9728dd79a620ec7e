package sandbox

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// assocTarget is where an association given on create points.
type assocTarget struct {
	to string
	id int64
}

// batchMax is HubSpot's limit on inputs per batch call.
const batchMax = 100

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	h := func(pattern string, fn func(http.ResponseWriter, *http.Request) error) {
		s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := fn(w, r); err != nil {
				s.answerErr(w, err)
			}
		})
	}
	h("GET /crm/v3/objects/{objectType}", s.handleList)
	h("POST /crm/v3/objects/{objectType}", s.handleCreate)
	h("GET /crm/v3/objects/{objectType}/{objectId}", s.handleGet)
	h("PATCH /crm/v3/objects/{objectType}/{objectId}", s.handleUpdate)
	h("DELETE /crm/v3/objects/{objectType}/{objectId}", s.handleArchive)
	h("POST /crm/v3/objects/{objectType}/batch/read", s.handleBatchRead)
	h("POST /crm/v3/objects/{objectType}/batch/create", s.handleBatchCreate)
	h("POST /crm/v3/objects/{objectType}/batch/update", s.handleBatchUpdate)
	h("POST /crm/v3/objects/{objectType}/batch/archive", s.handleBatchArchive)
	h("POST /crm/v3/objects/{objectType}/search", s.handleSearch)

	h("GET /account-info/v3/details", s.handleAccountDetails)

	h("GET /crm/v3/pipelines/{objectType}", s.handlePipelines)
	h("GET /crm/v3/pipelines/{objectType}/{pipelineId}", s.handlePipeline)
	h("GET /crm/v3/pipelines/{objectType}/{pipelineId}/stages", s.handleStages)
	h("GET /crm/v3/owners", s.handleOwners)
	h("GET /crm/v3/owners/{$}", s.handleOwners)
	h("GET /crm/v3/owners/{ownerId}", s.handleOwner)
	h("GET /crm/v3/properties/{objectType}", s.handleProperties)
	h("POST /crm/v3/properties/{objectType}", s.handleCreateProperty)
	h("GET /crm/v3/properties/{objectType}/{propertyName}", s.handleProperty)
	h("GET /crm/v3/properties/{objectType}/groups", s.handleGroups)
	h("POST /crm/v3/properties/{objectType}/groups", s.handleCreateGroup)
	h("GET /crm/v3/properties/{objectType}/groups/{groupName}", s.handleGroup)

	h("PUT /crm/v4/objects/{objectType}/{objectId}/associations/default/{toObjectType}/{toObjectId}", s.handleAssociateDefault)
	h("PUT /crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}", s.handleAssociate)
	h("DELETE /crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}", s.handleDisassociate)
	h("GET /crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}", s.handleAssociations)
	h("POST /crm/v4/associations/{objectType}/{toObjectType}/batch/create", s.handleBatchAssociate)
	h("POST /crm/v4/associations/{objectType}/{toObjectType}/batch/associate/default", s.handleBatchAssociateDefault)
	h("POST /crm/v4/associations/{objectType}/{toObjectType}/batch/read", s.handleBatchAssociations)
	h("POST /crm/v4/associations/{objectType}/{toObjectType}/batch/archive", s.handleBatchDisassociate)
	h("GET /crm/v4/associations/{objectType}/{toObjectType}/labels", s.handleLabels)

	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, http.StatusNotFound, "OBJECT_NOT_FOUND", fmt.Sprintf("No route for %s %s", r.Method, r.URL.Path))
	})
}

// pathType resolves the {name} path value to an object type.
func pathType(r *http.Request, name string) (string, error) {
	raw := r.PathValue(name)
	t, ok := objectType(raw)
	if !ok {
		return "", validationError("Unable to infer object type from: %s", raw)
	}
	return t, nil
}

func notFound(t, id string) *apiError {
	return &apiError{status: http.StatusNotFound, body: hubspot.ErrorBody{
		Category: hubspot.CategoryObjectNotFound,
		Message:  fmt.Sprintf("resource not found: %s %s does not exist", strings.ToUpper(singular(t)), id),
		Context:  map[string][]string{"id": {id}},
	}}
}

// queryList reads a repeated or comma-separated query parameter
// (go-hubspot sends "a,b", the official clients repeat it).
func queryList(q url.Values, name string) []string {
	var out []string
	for _, v := range q[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// readProps is the property list an answer carries: the requested ones, or
// HubSpot's defaults for the type; the three system properties are always
// there.
func readProps(t string, requested []string) []string {
	if len(requested) == 0 {
		return defaultProps[t]
	}
	out := slices.Clone(requested)
	for _, p := range []string{"createdate", "hs_lastmodifieddate", "hs_object_id"} {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return slices.Compact(out)
}

func parseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// lookup finds a record by id or, with idProperty, by a unique property.
func (st *state) lookup(t, id, idProperty string) (*record, bool) {
	c := st.objects[t]
	if idProperty != "" && idProperty != "hs_object_id" {
		for _, r := range c.order {
			if r.cur.props[idProperty] == id && !r.cur.archived {
				return r, true
			}
		}
		return nil, false
	}
	n, ok := parseID(id)
	if !ok {
		return nil, false
	}
	r, ok := c.byID[n]
	return r, ok
}

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) error {
	t, err := pathType(r, "objectType")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	id := r.PathValue("objectId")
	archived := q.Get("archived") == "true"
	s.mu.RLock()
	defer s.mu.RUnlock()
	rec, ok := s.st.lookup(t, id, q.Get("idProperty"))
	if !ok || rec.cur.archived != archived {
		return notFound(t, id)
	}
	props := readProps(t, queryList(q, "properties"))
	b := appendObject(nil, rec.cur, props)
	if hist := queryList(q, "propertiesWithHistory"); len(hist) > 0 {
		if b, err = appendHistory(b, rec, hist); err != nil {
			return err
		}
	}
	extra := map[string]any{}
	if to := queryList(q, "associations"); len(to) > 0 {
		extra["associations"] = s.st.embeddedAssociations(t, rec.cur.id, to)
	}
	if len(extra) > 0 {
		tail, err := json.Marshal(extra)
		if err != nil {
			return fmt.Errorf("encode %s: %w", t, err)
		}
		b = append(b[:len(b)-1], ',')
		b = append(b, tail[1:]...)
	}
	writeRaw(w, http.StatusOK, b)
	return nil
}

func (s *Server) handleList(w http.ResponseWriter, r *http.Request) error {
	t, err := pathType(r, "objectType")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	limit := 10
	if l := q.Get("limit"); l != "" {
		if limit, err = strconv.Atoi(l); err != nil || limit < 1 {
			return validationError("limit: %q is not a positive integer", l)
		}
		limit = min(limit, 100)
	}
	var after int64
	if a := q.Get("after"); a != "" {
		if after, err = strconv.ParseInt(a, 10, 64); err != nil {
			return validationError("after: %q is not a valid paging cursor", a)
		}
	}
	archived := q.Get("archived") == "true"
	props := readProps(t, queryList(q, "properties"))
	assocTo := queryList(q, "associations")
	s.mu.RLock()
	defer s.mu.RUnlock()
	order := s.st.objects[t].order
	i, _ := slices.BinarySearchFunc(order, after, func(r *record, id int64) int { return cmpInt(r.cur.id, id) })
	b := append(make([]byte, 0, 4096), `{"results":[`...)
	n := 0
	var next int64
	for ; i < len(order); i++ {
		v := order[i].cur
		if v.archived != archived {
			continue
		}
		if n == limit {
			next = v.id
			break
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = appendObject(b, v, props)
		if len(assocTo) > 0 {
			tail, err := json.Marshal(map[string]any{"associations": s.st.embeddedAssociations(t, v.id, assocTo)})
			if err != nil {
				return fmt.Errorf("encode %s associations: %w", t, err)
			}
			b = append(b[:len(b)-1], ',')
			b = append(b, tail[1:]...)
		}
		n++
	}
	b = append(b, ']')
	if next != 0 {
		ns := strconv.FormatInt(next, 10)
		b = append(b, `,"paging":{"next":{"after":`...)
		b = appendString(b, ns)
		b = append(b, `,"link":`...)
		b = appendString(b, "?after="+ns)
		b = append(b, `}}`...)
	}
	b = append(b, '}')
	writeRaw(w, http.StatusOK, b)
	return nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// invalidProps is HubSpot's answer to property values it rejects.
func invalidProps(errs []propError) *apiError {
	js, _ := json.Marshal(errs)
	ae := &apiError{status: http.StatusBadRequest, body: hubspot.ErrorBody{
		Category: hubspot.CategoryValidation,
		Message:  "Property values were not valid: " + string(js),
	}}
	for _, e := range errs {
		ae.body.Errors = append(ae.body.Errors, hubspot.ErrorDetail{
			Message: e.Message, Code: e.Error, Context: map[string][]string{"propertyName": {e.Name}},
		})
	}
	return ae
}

// checkUnique refuses a value of a hasUniqueValue property that another
// live record of the type already holds, with HubSpot's 409. Clients rely
// on it to make creates idempotent.
func (st *state) checkUnique(t string, self int64, props map[string]string) error {
	if email := props["email"]; t == "contacts" && email != "" {
		// HubSpot keeps one contact per e-mail address, though the
		// property does not say hasUniqueValue, and answers so.
		for _, rec := range st.objects[t].order {
			v := rec.cur
			if v.id != self && !v.archived && strings.EqualFold(v.props["email"], email) {
				return &apiError{status: http.StatusConflict, body: hubspot.ErrorBody{
					Category: hubspot.CategoryConflict,
					Message:  fmt.Sprintf("Contact already exists. Existing ID: %d", v.id),
				}}
			}
		}
	}
	for name, val := range props {
		d := st.props[t][name]
		if d == nil || !d.HasUniqueValue || val == "" {
			continue
		}
		for _, rec := range st.objects[t].order {
			v := rec.cur
			if v.id != self && !v.archived && v.props[name] == val {
				return &apiError{status: http.StatusConflict, body: hubspot.ErrorBody{
					Category: hubspot.CategoryConflict,
					Message:  fmt.Sprintf("A %s with the value '%s' for the unique property '%s' already exists (id %d).", strings.TrimSuffix(t, "s"), val, name, v.id),
					Context:  map[string][]string{"id": {strconv.FormatInt(v.id, 10)}},
				}}
			}
		}
	}
	return nil
}

// create validates and stores one object; the caller holds the write lock.
func (s *Server) create(t string, in hubspot.ObjectInput, source string) (*version, error) {
	st := s.st
	props, errs := st.normalize(t, in.Properties, true)
	if len(errs) > 0 {
		return nil, invalidProps(errs)
	}
	if err := st.checkUnique(t, 0, props); err != nil {
		return nil, err
	}
	targets := make([]assocTarget, len(in.Associations))
	for i, a := range in.Associations {
		to, toID, err := st.assocTarget(t, a)
		if err != nil {
			return nil, err
		}
		targets[i] = assocTarget{to, toID}
	}
	now := s.now()
	created := now
	if c, ok := props["createdate"]; ok {
		created, _ = parseTime(c)
	}
	for k, v := range props {
		if v == "" {
			delete(props, k)
		}
	}
	v := st.insert(t, props, created, now)
	for i, a := range in.Associations {
		for _, spec := range a.Types {
			st.associate(t, v.id, targets[i].to, targets[i].id, assocLink{category: spec.Category, typeID: spec.TypeID})
		}
	}
	s.dirty = true
	s.emitCreate(t, v, source)
	return v, nil
}

// update validates and applies changes to one object; the caller holds the
// write lock.
func (s *Server) update(t string, rec *record, in map[string]string, source string) error {
	st := s.st
	changes, errs := st.normalize(t, in, false)
	if len(errs) > 0 {
		return invalidProps(errs)
	}
	if err := st.checkUnique(t, rec.cur.id, changes); err != nil {
		return err
	}
	props, changed := merge(rec.cur.props, changes)
	now := s.now()
	v := st.newVersion(t, rec.cur.id, props, rec.cur.created, now)
	rec.noteChanges(rec.cur, v, changed, source)
	if slices.Contains(changed, stageProps[t]) {
		st.stampStages(t, v, rec.hist[stageProps[t]])
	}
	rec.put(v, now, s.currentFaults().SearchLag)
	s.dirty = true
	s.emitChanges(t, v, changed, source)
	return nil
}

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) error {
	t, err := pathType(r, "objectType")
	if err != nil {
		return err
	}
	var in hubspot.ObjectInput
	if err := decode(r, &in); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.create(t, in, "API")
	if err != nil {
		return err
	}
	writeRaw(w, http.StatusCreated, appendObject(nil, v, sortedKeys(v.props)))
	return nil
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request) error {
	t, err := pathType(r, "objectType")
	if err != nil {
		return err
	}
	var in hubspot.ObjectInput
	if err := decode(r, &in); err != nil {
		return err
	}
	id := r.PathValue("objectId")
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.st.lookup(t, id, r.URL.Query().Get("idProperty"))
	if !ok || rec.cur.archived {
		return notFound(t, id)
	}
	if err := s.update(t, rec, in.Properties, "API"); err != nil {
		return err
	}
	writeRaw(w, http.StatusOK, appendObject(nil, rec.cur, sortedKeys(rec.cur.props)))
	return nil
}

// archive marks a record archived; the caller holds the write lock.
func (s *Server) archive(t string, rec *record) {
	if rec.cur.archived {
		return
	}
	now := s.now()
	v := *rec.cur
	v.archived, v.archAt = true, now
	rec.put(&v, now, s.currentFaults().SearchLag)
	s.dirty = true
}

func (s *Server) handleArchive(w http.ResponseWriter, r *http.Request) error {
	t, err := pathType(r, "objectType")
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// HubSpot answers 204 whether or not the record existed.
	if rec, ok := s.st.lookup(t, r.PathValue("objectId"), ""); ok {
		s.archive(t, rec)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// batchAnswer writes BatchResponseSimplePublicObject, or the WithErrors
// form with 207 when some inputs failed.
func (s *Server) batchAnswer(w http.ResponseWriter, okStatus int, started time.Time, results []byte, errs []hubspot.StandardError) {
	b := append(make([]byte, 0, len(results)+256), `{"status":"COMPLETE","results":[`...)
	b = append(b, results...)
	b = append(b, `],"startedAt":`...)
	b = appendTime(b, started)
	b = append(b, `,"completedAt":`...)
	b = appendTime(b, s.now())
	status := okStatus
	if len(errs) > 0 {
		status = http.StatusMultiStatus
		b = append(b, `,"numErrors":`...)
		b = strconv.AppendInt(b, int64(len(errs)), 10)
		js, _ := json.Marshal(errs)
		b = append(b, `,"errors":`...)
		b = append(b, js...)
	}
	b = append(b, '}')
	writeRaw(w, status, b)
}

func checkBatchSize(n int) error {
	if n > batchMax {
		return validationError("Too many inputs: %d; the limit is %d.", n, batchMax)
	}
	return nil
}

// missingError is the one StandardError HubSpot gives for every id a batch
// could not find.
func missingError(t string, verb string, ids []string) hubspot.StandardError {
	return hubspot.StandardError{
		Status:   "error",
		Category: hubspot.CategoryObjectNotFound,
		Message:  fmt.Sprintf("Could not %s some %s objects, they may be deleted or not exist. Check that ids are valid.", verb, strings.ToUpper(singular(t))),
		Errors:   []hubspot.ErrorDetail{},
		Context:  map[string][]string{"ids": ids},
		Links:    map[string]string{},
	}
}

func (s *Server) handleBatchRead(w http.ResponseWriter, r *http.Request) error {
	t, err := pathType(r, "objectType")
	if err != nil {
		return err
	}
	var in hubspot.BatchReadRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := checkBatchSize(len(in.Inputs)); err != nil {
		return err
	}
	if len(in.WithHistory) > 0 && len(in.Inputs) > historyBatchMax {
		return validationError("Too many inputs: %d; the limit is %d when reading propertiesWithHistory.", len(in.Inputs), historyBatchMax)
	}
	if len(in.WithHistory) > 0 {
		s.count(HistoryReads)
	}
	started := s.now()
	props := readProps(t, in.Properties)
	archived := r.URL.Query().Get("archived") == "true"
	s.mu.RLock()
	defer s.mu.RUnlock()
	var b []byte
	var missing []string
	for _, o := range in.Inputs {
		rec, ok := s.st.lookup(t, o.ID, in.IDProperty)
		if !ok || rec.cur.archived != archived {
			missing = append(missing, o.ID)
			continue
		}
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = appendObject(b, rec.cur, props)
		if len(in.WithHistory) > 0 {
			if b, err = appendHistory(b, rec, in.WithHistory); err != nil {
				return err
			}
		}
	}
	var errs []hubspot.StandardError
	if len(missing) > 0 {
		errs = append(errs, missingError(t, "get", missing))
	}
	s.batchAnswer(w, http.StatusOK, started, b, errs)
	return nil
}

func (s *Server) handleBatchCreate(w http.ResponseWriter, r *http.Request) error {
	t, err := pathType(r, "objectType")
	if err != nil {
		return err
	}
	var in hubspot.BatchCreateRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := checkBatchSize(len(in.Inputs)); err != nil {
		return err
	}
	started := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	// HubSpot validates the whole batch first: one bad input fails all.
	for _, o := range in.Inputs {
		props, errs := s.st.normalize(t, o.Properties, true)
		if len(errs) > 0 {
			return invalidProps(errs)
		}
		if err := s.st.checkUnique(t, 0, props); err != nil {
			return err
		}
		for _, a := range o.Associations {
			if _, _, err := s.st.assocTarget(t, a); err != nil {
				return err
			}
		}
	}
	var b []byte
	for _, o := range in.Inputs {
		v, err := s.create(t, o, "API")
		if err != nil {
			return err
		}
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = appendObject(b, v, sortedKeys(v.props))
	}
	s.batchAnswer(w, http.StatusCreated, started, b, nil)
	return nil
}

func (s *Server) handleBatchUpdate(w http.ResponseWriter, r *http.Request) error {
	t, err := pathType(r, "objectType")
	if err != nil {
		return err
	}
	var in hubspot.BatchUpdateRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := checkBatchSize(len(in.Inputs)); err != nil {
		return err
	}
	started := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	// Invalid values fail the whole batch (400); unknown ids fail only
	// themselves (207), as HubSpot does.
	for _, o := range in.Inputs {
		if _, errs := s.st.normalize(t, o.Properties, false); len(errs) > 0 {
			return invalidProps(errs)
		}
	}
	var b []byte
	var missing []string
	for _, o := range in.Inputs {
		rec, ok := s.st.lookup(t, o.ID, o.IDProperty)
		if !ok || rec.cur.archived {
			missing = append(missing, o.ID)
			continue
		}
		if err := s.update(t, rec, o.Properties, "API"); err != nil {
			return err
		}
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = appendObject(b, rec.cur, sortedKeys(rec.cur.props))
	}
	var errs []hubspot.StandardError
	if len(missing) > 0 {
		errs = append(errs, missingError(t, "update", missing))
	}
	s.batchAnswer(w, http.StatusOK, started, b, errs)
	return nil
}

func (s *Server) handleBatchArchive(w http.ResponseWriter, r *http.Request) error {
	t, err := pathType(r, "objectType")
	if err != nil {
		return err
	}
	var in hubspot.BatchArchiveRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := checkBatchSize(len(in.Inputs)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range in.Inputs {
		if rec, ok := s.st.lookup(t, o.ID, ""); ok {
			s.archive(t, rec)
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
