package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/alusta/alusta/connector/hubspot"
)

// assocLabel is one association type between two object types, with the
// type HubSpot records in the other direction.
type assocLabel struct {
	From     string  `json:"from"`
	To       string  `json:"to"`
	Category string  `json:"category"`
	TypeID   int     `json:"typeId"`
	Label    *string `json:"label"`
	Inverse  int     `json:"inverse"`
	Default  bool    `json:"default,omitempty"` // the unlabelled type every association carries
}

func strp(s string) *string { return &s }

// builtinLabels are HubSpot's own association types between the objects
// alusta uses.
var builtinLabels = func() []assocLabel {
	var out []assocLabel
	add := func(from, to string, id, inv int, label *string, def bool) {
		out = append(out,
			assocLabel{From: from, To: to, Category: hubspot.HubSpotDefined, TypeID: id, Label: label, Inverse: inv, Default: def},
			assocLabel{From: to, To: from, Category: hubspot.HubSpotDefined, TypeID: inv, Label: label, Inverse: id, Default: def})
	}
	add(hubspot.Deals, hubspot.Companies, 341, 342, nil, true)
	add(hubspot.Deals, hubspot.Companies, 5, 6, strp("Primary"), false)
	add(hubspot.Tickets, hubspot.Companies, 339, 340, nil, true)
	add(hubspot.Tickets, hubspot.Companies, 26, 25, strp("Primary"), false)
	add(hubspot.Tickets, hubspot.Deals, 28, 27, nil, true)
	add(hubspot.Deals, "contacts", 3, 4, nil, true)
	add(hubspot.Tickets, "contacts", 16, 15, nil, true)
	add(hubspot.Notes, hubspot.Tickets, 228, 227, nil, true)
	add(hubspot.Notes, hubspot.Deals, 214, 213, nil, true)
	add(hubspot.Notes, hubspot.Companies, 190, 189, nil, true)
	return out
}()

func (st *state) labels(from, to string) []assocLabel {
	var out []assocLabel
	for _, l := range append(slices.Clone(builtinLabels), st.userLabels...) {
		if l.From == from && l.To == to {
			out = append(out, l)
		}
	}
	return out
}

func (st *state) label(from, to, category string, typeID int) (assocLabel, bool) {
	for _, l := range st.labels(from, to) {
		if l.TypeID == typeID && (category == "" || l.Category == category) {
			return l, true
		}
	}
	return assocLabel{}, false
}

func (st *state) defaultLabel(from, to string) (assocLabel, bool) {
	for _, l := range st.labels(from, to) {
		if l.Default {
			return l, true
		}
	}
	return assocLabel{}, false
}

// associate links two records both ways; a labelled type brings the
// default type along, as in HubSpot.
func (st *state) associate(from string, fromID int64, to string, toID int64, link assocLink) {
	l, ok := st.label(from, to, link.category, link.typeID)
	if !ok {
		return
	}
	st.addLink(from, fromID, to, toID, assocLink{l.Category, l.TypeID})
	st.addLink(to, toID, from, fromID, assocLink{l.Category, l.Inverse})
	if !l.Default {
		if d, ok := st.defaultLabel(from, to); ok {
			st.addLink(from, fromID, to, toID, assocLink{d.Category, d.TypeID})
			st.addLink(to, toID, from, fromID, assocLink{d.Category, d.Inverse})
		}
	}
}

func (st *state) addLink(from string, fromID int64, to string, toID int64, link assocLink) {
	k := assocKey{from, fromID, to}
	m := st.assocs[k]
	if m == nil {
		m = map[int64][]assocLink{}
		st.assocs[k] = m
	}
	if !slices.Contains(m[toID], link) {
		m[toID] = append(m[toID], link)
	}
}

func (st *state) unlink(from string, fromID int64, to string, toID int64) {
	delete(st.assocs[assocKey{from, fromID, to}], toID)
	delete(st.assocs[assocKey{to, toID, from}], fromID)
}

// linked lists the associations of one record to one type, by target id.
func (st *state) linked(from string, fromID int64, to string) []hubspot.AssociatedObject {
	m := st.assocs[assocKey{from, fromID, to}]
	ids := make([]int64, 0, len(m))
	for id, links := range m {
		if len(links) > 0 {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	out := make([]hubspot.AssociatedObject, 0, len(ids))
	for _, id := range ids {
		ao := hubspot.AssociatedObject{ToObjectID: id}
		for _, l := range m[id] {
			lb, _ := st.label(from, to, l.category, l.typeID)
			ao.AssociationTypes = append(ao.AssociationTypes, hubspot.AssociationType{Category: l.category, TypeID: l.typeID, Label: lb.Label})
		}
		out = append(out, ao)
	}
	return out
}

// embeddedAssociations is the v3 ?associations= block of an object.
func (st *state) embeddedAssociations(from string, id int64, toTypes []string) map[string]hubspot.Collection {
	out := map[string]hubspot.Collection{}
	for _, raw := range toTypes {
		to, ok := objectType(raw)
		if !ok {
			continue
		}
		var refs []hubspot.AssociationRef
		for _, ao := range st.linked(from, id, to) {
			for _, at := range ao.AssociationTypes {
				name := singular(from) + "_to_" + singular(to)
				if at.Label != nil {
					name = strings.ToLower(strings.ReplaceAll(*at.Label, " ", "_")) + "_" + name
				}
				refs = append(refs, hubspot.AssociationRef{ID: strconv.FormatInt(ao.ToObjectID, 10), Type: name})
			}
		}
		if len(refs) > 0 {
			out[to] = hubspot.Collection{Results: refs}
		}
	}
	return out
}

// assocTarget resolves an association given on create: the target type
// follows from the association type id.
func (st *state) assocTarget(from string, a hubspot.AssociationCreate) (string, int64, error) {
	if len(a.Types) == 0 {
		return "", 0, validationError("Invalid input: an association to %s needs at least one type", a.To.ID)
	}
	for _, to := range objectTypes {
		if _, ok := st.label(from, to, a.Types[0].Category, a.Types[0].TypeID); !ok {
			continue
		}
		id, ok := parseID(a.To.ID)
		if r, found := st.objects[to].byID[id]; !ok || !found || r.cur.archived {
			return "", 0, validationError("Invalid input: %s %s to associate with does not exist", strings.ToUpper(singular(to)), a.To.ID)
		}
		return to, id, nil
	}
	return "", 0, validationError("Invalid input: association type %s %d is not valid from %s", a.Types[0].Category, a.Types[0].TypeID, singular(from))
}

func (st *state) exists(t string, id int64) bool {
	r, ok := st.objects[t].byID[id]
	return ok && !r.cur.archived
}

// pair reads the two records of a v4 per-record association path.
func (s *Server) pair(r *http.Request) (from string, fromID int64, to string, toID int64, err error) {
	if from, err = pathType(r, "objectType"); err != nil {
		return
	}
	if to, err = pathType(r, "toObjectType"); err != nil {
		return
	}
	var ok bool
	if fromID, ok = parseID(r.PathValue("objectId")); !ok || !s.st.exists(from, fromID) {
		err = notFound(from, r.PathValue("objectId"))
		return
	}
	if raw := r.PathValue("toObjectId"); raw != "" {
		if toID, ok = parseID(raw); !ok || !s.st.exists(to, toID) {
			err = notFound(to, raw)
		}
	}
	return
}

func labelNames(st *state, from, to string, fromID, toID int64) []string {
	names := []string{}
	for _, l := range st.assocs[assocKey{from, fromID, to}][toID] {
		if lb, ok := st.label(from, to, l.category, l.typeID); ok && lb.Label != nil {
			names = append(names, *lb.Label)
		}
	}
	return names
}

func (s *Server) handleAssociate(w http.ResponseWriter, r *http.Request) error {
	var specs []hubspot.AssociationSpec
	if err := decode(r, &specs); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	from, fromID, to, toID, err := s.pair(r)
	if err != nil {
		return err
	}
	if len(specs) == 0 {
		return validationError("Invalid input: at least one association type is required")
	}
	for _, sp := range specs {
		if _, ok := s.st.label(from, to, sp.Category, sp.TypeID); !ok {
			return validationError("Invalid input: association type %s %d is not valid between %s and %s", sp.Category, sp.TypeID, singular(from), singular(to))
		}
	}
	for _, sp := range specs {
		s.st.associate(from, fromID, to, toID, assocLink{sp.Category, sp.TypeID})
	}
	s.dirty = true
	// HubSpot answers the labelled PUT with 201 (the official clients
	// accept nothing else) and the default PUT with 200.
	writeJSON(w, http.StatusCreated, hubspot.LabelsBetweenObjectPair{
		FromObjectTypeID: typeIDs[from], FromObjectID: fromID, ToObjectTypeID: typeIDs[to], ToObjectID: toID,
		Labels: labelNames(s.st, from, to, fromID, toID),
	})
	return nil
}

// defaultAssociation is PublicDefaultAssociation.
type defaultAssociation struct {
	From hubspot.ObjectID        `json:"from"`
	To   hubspot.ObjectID        `json:"to"`
	Spec hubspot.AssociationSpec `json:"associationSpec"`
}

func (s *Server) handleAssociateDefault(w http.ResponseWriter, r *http.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	started := s.now()
	from, fromID, to, toID, err := s.pair(r)
	if err != nil {
		return err
	}
	d, ok := s.st.defaultLabel(from, to)
	if !ok {
		return validationError("Invalid input: %s and %s have no default association", singular(from), singular(to))
	}
	s.st.associate(from, fromID, to, toID, assocLink{d.Category, d.TypeID})
	s.dirty = true
	writeJSON(w, http.StatusOK, map[string]any{
		"status": "COMPLETE", "startedAt": started, "completedAt": s.now(),
		"results": []defaultAssociation{{
			From: hubspot.ObjectID{ID: strconv.FormatInt(fromID, 10)}, To: hubspot.ObjectID{ID: strconv.FormatInt(toID, 10)},
			Spec: hubspot.AssociationSpec{Category: d.Category, TypeID: d.TypeID},
		}},
	})
	return nil
}

func (s *Server) handleDisassociate(w http.ResponseWriter, r *http.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	from, fromID, to, toID, err := s.pair(r)
	if err != nil {
		return err
	}
	s.st.unlink(from, fromID, to, toID)
	s.dirty = true
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleAssociations(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit := 500
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return validationError("limit: %q is not a positive integer", l)
		}
		limit = min(n, 500)
	}
	start := 0
	if a := q.Get("after"); a != "" {
		n, err := strconv.Atoi(a)
		if err != nil || n < 0 {
			return validationError("after: %q is not a valid paging cursor", a)
		}
		start = n
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	from, fromID, to, _, err := s.pair(r)
	if err != nil {
		return err
	}
	all := s.st.linked(from, fromID, to)
	out := hubspot.AssociatedObjects{Results: []hubspot.AssociatedObject{}}
	if start < len(all) {
		end := min(start+limit, len(all))
		out.Results = all[start:end]
		if end < len(all) {
			next := strconv.Itoa(end)
			out.Paging = &hubspot.Paging{Next: &hubspot.NextPage{After: next, Link: "?after=" + next}}
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) batchTypes(r *http.Request) (string, string, error) {
	from, err := pathType(r, "objectType")
	if err != nil {
		return "", "", err
	}
	to, err := pathType(r, "toObjectType")
	return from, to, err
}

func batchEnvelope(started, done any, results any, errs []hubspot.StandardError) (map[string]any, int) {
	m := map[string]any{"status": "COMPLETE", "startedAt": started, "completedAt": done, "results": results}
	if len(errs) > 0 {
		m["numErrors"] = len(errs)
		m["errors"] = errs
		return m, http.StatusMultiStatus
	}
	return m, 0
}

func recordError(msg string, ctx map[string][]string) hubspot.StandardError {
	return hubspot.StandardError{Status: "error", Category: hubspot.CategoryValidation, Message: msg,
		Errors: []hubspot.ErrorDetail{}, Context: ctx, Links: map[string]string{}}
}

func (s *Server) handleBatchAssociate(w http.ResponseWriter, r *http.Request) error {
	from, to, err := s.batchTypes(r)
	if err != nil {
		return err
	}
	var in hubspot.BatchAssociationRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := checkBatchSize(len(in.Inputs)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	started := s.now()
	results := []hubspot.LabelsBetweenObjectPair{}
	var errs []hubspot.StandardError
	for _, a := range in.Inputs {
		fromID, ok1 := parseID(a.From.ID)
		toID, ok2 := parseID(a.To.ID)
		if !ok1 || !ok2 || !s.st.exists(from, fromID) || !s.st.exists(to, toID) {
			errs = append(errs, recordError(fmt.Sprintf("Could not associate %s %s with %s %s: a record does not exist",
				singular(from), a.From.ID, singular(to), a.To.ID), map[string][]string{"fromObjectId": {a.From.ID}, "toObjectId": {a.To.ID}}))
			continue
		}
		bad := false
		for _, sp := range a.Types {
			if _, ok := s.st.label(from, to, sp.Category, sp.TypeID); !ok {
				errs = append(errs, recordError(fmt.Sprintf("association type %s %d is not valid between %s and %s",
					sp.Category, sp.TypeID, singular(from), singular(to)), map[string][]string{"fromObjectId": {a.From.ID}}))
				bad = true
			}
		}
		if bad {
			continue
		}
		for _, sp := range a.Types {
			s.st.associate(from, fromID, to, toID, assocLink{sp.Category, sp.TypeID})
		}
		results = append(results, hubspot.LabelsBetweenObjectPair{FromObjectTypeID: typeIDs[from], FromObjectID: fromID,
			ToObjectTypeID: typeIDs[to], ToObjectID: toID, Labels: labelNames(s.st, from, to, fromID, toID)})
	}
	s.dirty = true
	body, status := batchEnvelope(started, s.now(), results, errs)
	if status == 0 {
		status = http.StatusCreated
	}
	writeJSON(w, status, body)
	return nil
}

func (s *Server) handleBatchAssociateDefault(w http.ResponseWriter, r *http.Request) error {
	from, to, err := s.batchTypes(r)
	if err != nil {
		return err
	}
	var in struct {
		Inputs []struct {
			From hubspot.ObjectID `json:"from"`
			To   hubspot.ObjectID `json:"to"`
		} `json:"inputs"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := checkBatchSize(len(in.Inputs)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	started := s.now()
	d, ok := s.st.defaultLabel(from, to)
	if !ok {
		return validationError("Invalid input: %s and %s have no default association", singular(from), singular(to))
	}
	results := []defaultAssociation{}
	var errs []hubspot.StandardError
	for _, a := range in.Inputs {
		fromID, ok1 := parseID(a.From.ID)
		toID, ok2 := parseID(a.To.ID)
		if !ok1 || !ok2 || !s.st.exists(from, fromID) || !s.st.exists(to, toID) {
			errs = append(errs, recordError(fmt.Sprintf("Could not associate %s %s with %s %s: a record does not exist",
				singular(from), a.From.ID, singular(to), a.To.ID), map[string][]string{"fromObjectId": {a.From.ID}, "toObjectId": {a.To.ID}}))
			continue
		}
		s.st.associate(from, fromID, to, toID, assocLink{d.Category, d.TypeID})
		results = append(results, defaultAssociation{From: a.From, To: a.To, Spec: hubspot.AssociationSpec{Category: d.Category, TypeID: d.TypeID}})
	}
	s.dirty = true
	body, status := batchEnvelope(started, s.now(), results, errs)
	if status == 0 {
		status = http.StatusOK
	}
	writeJSON(w, status, body)
	return nil
}

func (s *Server) handleBatchAssociations(w http.ResponseWriter, r *http.Request) error {
	from, to, err := s.batchTypes(r)
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
	s.mu.RLock()
	defer s.mu.RUnlock()
	started := s.now()
	type multi struct {
		From hubspot.ObjectID           `json:"from"`
		To   []hubspot.AssociatedObject `json:"to"`
	}
	results := []multi{}
	var errs []hubspot.StandardError
	for _, o := range in.Inputs {
		id, ok := parseID(o.ID)
		var linked []hubspot.AssociatedObject
		if ok {
			linked = s.st.linked(from, id, to)
		}
		if len(linked) == 0 {
			// HubSpot answers category and subCategory as strings here,
			// although the Crm Associations spec types them as objects.
			e := recordError(fmt.Sprintf("No %s is associated with %s %s.", singular(to), singular(from), o.ID),
				map[string][]string{"fromObjectId": {o.ID}, "fromObjectType": {singular(from)}, "toObjectType": {singular(to)}})
			e.Category = hubspot.CategoryObjectNotFound
			e.SubCategory = "crm.associations.NO_ASSOCIATIONS_FOUND"
			errs = append(errs, e)
			continue
		}
		results = append(results, multi{From: o, To: linked})
	}
	body, status := batchEnvelope(started, s.now(), results, errs)
	if status == 0 {
		status = http.StatusOK
	}
	writeJSON(w, status, body)
	return nil
}

func (s *Server) handleBatchDisassociate(w http.ResponseWriter, r *http.Request) error {
	from, to, err := s.batchTypes(r)
	if err != nil {
		return err
	}
	var in struct {
		Inputs []struct {
			From hubspot.ObjectID   `json:"from"`
			To   []hubspot.ObjectID `json:"to"`
		} `json:"inputs"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range in.Inputs {
		fromID, _ := parseID(a.From.ID)
		for _, t := range a.To {
			toID, _ := parseID(t.ID)
			s.st.unlink(from, fromID, to, toID)
		}
	}
	s.dirty = true
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleLabels(w http.ResponseWriter, r *http.Request) error {
	from, to, err := s.batchTypes(r)
	if err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := hubspot.AssociationLabels{Results: []hubspot.AssociationType{}}
	for _, l := range s.st.labels(from, to) {
		out.Results = append(out.Results, hubspot.AssociationType{Category: l.Category, TypeID: l.TypeID, Label: l.Label})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
