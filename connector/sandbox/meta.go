package sandbox

import (
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/alusta/alusta/connector/hubspot"
)

func (s *Server) pipelineType(r *http.Request) (string, error) {
	t, err := pathType(r, "objectType")
	if err != nil {
		return "", err
	}
	if t != hubspot.Tickets && t != hubspot.Deals {
		return "", validationError("Unable to infer object type from: %s", r.PathValue("objectType"))
	}
	return t, nil
}

func (s *Server) findPipeline(t, id string) (hubspot.Pipeline, error) {
	for _, p := range s.st.pipelines[t] {
		if p.ID == id {
			return p, nil
		}
	}
	return hubspot.Pipeline{}, &apiError{status: http.StatusNotFound, body: hubspot.ErrorBody{
		Category: hubspot.CategoryObjectNotFound, Message: fmt.Sprintf("Unable to find pipeline %s", id)}}
}

func (s *Server) handlePipelines(w http.ResponseWriter, r *http.Request) error {
	t, err := s.pipelineType(r)
	if err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	writeJSON(w, http.StatusOK, hubspot.Pipelines{Results: s.st.pipelines[t]})
	return nil
}

func (s *Server) handlePipeline(w http.ResponseWriter, r *http.Request) error {
	t, err := s.pipelineType(r)
	if err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.findPipeline(t, r.PathValue("pipelineId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) handleStages(w http.ResponseWriter, r *http.Request) error {
	t, err := s.pipelineType(r)
	if err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.findPipeline(t, r.PathValue("pipelineId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Results []hubspot.Stage `json:"results"`
	}{p.Stages})
	return nil
}

func (s *Server) handleOwners(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit := 100
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
	email := q.Get("email")
	archived := q.Get("archived") == "true"
	s.mu.RLock()
	defer s.mu.RUnlock()
	var all []hubspot.Owner
	for _, o := range s.st.owners {
		if o.Archived == archived && (email == "" || strings.EqualFold(o.Email, email)) {
			all = append(all, o)
		}
	}
	out := hubspot.Owners{Results: []hubspot.Owner{}}
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

func (s *Server) handleOwner(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("ownerId")
	byUser := r.URL.Query().Get("idProperty") == "userId"
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, o := range s.st.owners {
		if (!byUser && o.ID == id) || (byUser && strconv.FormatInt(o.UserID, 10) == id) {
			writeJSON(w, http.StatusOK, o)
			return nil
		}
	}
	return &apiError{status: http.StatusNotFound, body: hubspot.ErrorBody{
		Category: hubspot.CategoryObjectNotFound, Message: fmt.Sprintf("Owner %s not found", id)}}
}

// sortedProps lists a type's properties by name, for stable answers.
func (st *state) sortedProps(t string) []hubspot.Property {
	names := slices.Sorted(maps.Keys(st.props[t]))
	out := make([]hubspot.Property, len(names))
	for i, n := range names {
		out[i] = *st.props[t][n]
	}
	return out
}

func (s *Server) handleProperties(w http.ResponseWriter, r *http.Request) error {
	t, err := pathType(r, "objectType")
	if err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if r.URL.Query().Get("archived") == "true" {
		writeJSON(w, http.StatusOK, hubspot.Properties{Results: []hubspot.Property{}})
		return nil
	}
	writeJSON(w, http.StatusOK, hubspot.Properties{Results: s.st.sortedProps(t)})
	return nil
}

func (s *Server) handleProperty(w http.ResponseWriter, r *http.Request) error {
	t, err := pathType(r, "objectType")
	if err != nil {
		return err
	}
	name := r.PathValue("propertyName")
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.st.props[t][name]
	if p == nil {
		return &apiError{status: http.StatusNotFound, body: hubspot.ErrorBody{
			Category: hubspot.CategoryObjectNotFound,
			Message:  fmt.Sprintf("Unable to find property %s for object type %s", name, typeIDs[t])}}
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

var (
	propertyName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	propTypes    = map[string][]string{
		"string":      {"text", "textarea", "phonenumber", "html", "file"},
		"number":      {"number", "calculation_equation"},
		"date":        {"date"},
		"datetime":    {"date"},
		"enumeration": {"select", "radio", "checkbox", "booleancheckbox"},
		"bool":        {"booleancheckbox"},
	}
)

func (s *Server) handleCreateProperty(w http.ResponseWriter, r *http.Request) error {
	t, err := pathType(r, "objectType")
	if err != nil {
		return err
	}
	var p hubspot.Property
	if err := decode(r, &p); err != nil {
		return err
	}
	var problems []string
	switch {
	case !propertyName.MatchString(p.Name):
		problems = append(problems, fmt.Sprintf("name %q must start with a lower-case letter and hold only lower-case letters, digits and underscores", p.Name))
	case strings.HasPrefix(p.Name, "hs_"):
		problems = append(problems, fmt.Sprintf("name %q: the hs_ prefix is reserved for HubSpot-defined properties", p.Name))
	}
	if p.Label == "" {
		problems = append(problems, "label is required")
	}
	if fts, ok := propTypes[p.Type]; !ok {
		problems = append(problems, fmt.Sprintf("type %q is not one of string, number, date, datetime, enumeration, bool", p.Type))
	} else if !slices.Contains(fts, p.FieldType) {
		problems = append(problems, fmt.Sprintf("fieldType %q is not valid for type %s", p.FieldType, p.Type))
	}
	if p.Type == "enumeration" && len(p.Options) == 0 && p.FieldType != "booleancheckbox" {
		problems = append(problems, "an enumeration needs options")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.GroupName == "" {
		problems = append(problems, "groupName is required")
	} else if !slices.ContainsFunc(s.st.groups[t], func(g hubspot.PropertyGroup) bool { return g.Name == p.GroupName }) {
		problems = append(problems, fmt.Sprintf("group %q does not exist", p.GroupName))
	}
	if len(problems) > 0 {
		return validationError("Invalid input: %s", strings.Join(problems, "; "))
	}
	if s.st.props[t][p.Name] != nil {
		return &apiError{status: http.StatusConflict, body: hubspot.ErrorBody{
			Category: hubspot.CategoryConflict,
			Message:  fmt.Sprintf("Property named '%s' already exists.", p.Name),
		}}
	}
	now := s.now()
	p.CreatedAt, p.UpdatedAt = &now, &now
	p.HubspotDefined = false
	if p.Options == nil {
		p.Options = []hubspot.Option{}
	}
	p.ModificationMetadata = &hubspot.ModificationMetadata{Archivable: true}
	s.st.props[t][p.Name] = &p
	s.dirty = true
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) handleGroups(w http.ResponseWriter, r *http.Request) error {
	t, err := pathType(r, "objectType")
	if err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	writeJSON(w, http.StatusOK, hubspot.PropertyGroups{Results: s.st.groups[t]})
	return nil
}

func (s *Server) handleGroup(w http.ResponseWriter, r *http.Request) error {
	t, err := pathType(r, "objectType")
	if err != nil {
		return err
	}
	name := r.PathValue("groupName")
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, g := range s.st.groups[t] {
		if g.Name == name {
			writeJSON(w, http.StatusOK, g)
			return nil
		}
	}
	return &apiError{status: http.StatusNotFound, body: hubspot.ErrorBody{
		Category: hubspot.CategoryObjectNotFound,
		Message:  fmt.Sprintf("Unable to find property group %s for object type %s", name, typeIDs[t])}}
}

func (s *Server) handleCreateGroup(w http.ResponseWriter, r *http.Request) error {
	t, err := pathType(r, "objectType")
	if err != nil {
		return err
	}
	var g hubspot.PropertyGroup
	if err := decode(r, &g); err != nil {
		return err
	}
	if !propertyName.MatchString(g.Name) || g.Label == "" {
		return validationError("Invalid input: a group needs a name of lower-case letters, digits and underscores and a label")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.ContainsFunc(s.st.groups[t], func(x hubspot.PropertyGroup) bool { return x.Name == g.Name }) {
		return &apiError{status: http.StatusConflict, body: hubspot.ErrorBody{
			Category: hubspot.CategoryConflict,
			Message:  fmt.Sprintf("A property group named '%s' already exists.", g.Name)}}
	}
	g.Archived = false
	s.st.groups[t] = append(s.st.groups[t], g)
	s.dirty = true
	writeJSON(w, http.StatusCreated, g)
	return nil
}
