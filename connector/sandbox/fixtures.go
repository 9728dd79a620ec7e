package sandbox

import (
	"fmt"
	"maps"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// Insert stores a record directly, bypassing HTTP and validation, with
// createdate and hs_lastmodifieddate both set to modified (so tests can make
// 10,000+ records share one timestamp). A "createdate" in props overrides
// the creation time. It returns the new id and fires no webhook. It panics
// on an unknown object type: that is a bug in the test.
func (s *Server) Insert(objType string, props map[string]string, modified time.Time) string {
	t, ok := objectType(objType)
	if !ok {
		panic(fmt.Sprintf("sandbox: Insert: unknown object type %q", objType))
	}
	p := maps.Clone(props)
	if p == nil {
		p = map[string]string{}
	}
	created := modified
	if c, ok := p["createdate"]; ok {
		if ct, ok := parseTime(c); ok {
			created = ct
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.st.insert(t, p, created.UTC(), modified.UTC())
	s.dirty = true
	return v.idStr
}

// Associate links two records directly, as a v4 PUT would; it reports an
// unknown association type or record as an error.
func (s *Server) Associate(fromType, fromID, toType, toID string, typeID int) error {
	from, ok1 := objectType(fromType)
	to, ok2 := objectType(toType)
	if !ok1 || !ok2 {
		return fmt.Errorf("sandbox: associate: unknown object type %q or %q", fromType, toType)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, okf := parseID(fromID)
	tt, okt := parseID(toID)
	if !okf || !okt || !s.st.exists(from, f) || !s.st.exists(to, tt) {
		return fmt.Errorf("sandbox: associate %s %s with %s %s: no such record", from, fromID, to, toID)
	}
	l, ok := s.st.label(from, to, "", typeID)
	if !ok {
		return fmt.Errorf("sandbox: associate %s with %s: unknown association type %d", from, to, typeID)
	}
	s.st.associate(from, f, to, tt, assocLink{l.Category, l.TypeID})
	s.dirty = true
	return nil
}

// Object returns a record with every property set on it, archived ones
// included.
func (s *Server) Object(objType, id string) (hubspot.Object, bool) {
	t, ok := objectType(objType)
	if !ok {
		return hubspot.Object{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	rec, ok := s.st.lookup(t, id, "")
	if !ok {
		return hubspot.Object{}, false
	}
	return toObject(rec.cur, nil), true
}

// Objects returns the ids of a type's live records in ascending order.
func (s *Server) Objects(objType string) []string {
	t, ok := objectType(objType)
	if !ok {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var ids []string
	for _, r := range s.st.objects[t].order {
		if !r.cur.archived {
			ids = append(ids, r.cur.idStr)
		}
	}
	return ids
}

// Update changes a record as a person editing it in HubSpot would: the
// values are validated, hs_lastmodifieddate moves to now and webhooks fire
// (changeSource CRM_UI).
func (s *Server) Update(objType, id string, props map[string]string) error {
	t, ok := objectType(objType)
	if !ok {
		return fmt.Errorf("sandbox: update: unknown object type %q", objType)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.st.lookup(t, id, "")
	if !ok || rec.cur.archived {
		return fmt.Errorf("sandbox: update %s %s: %w", t, id, notFound(t, id))
	}
	if err := s.update(t, rec, props, "CRM_UI"); err != nil {
		return fmt.Errorf("sandbox: update %s %s: %w", t, id, err)
	}
	return nil
}

// Owners returns the portal's owners.
func (s *Server) Owners() []hubspot.Owner {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]hubspot.Owner(nil), s.st.owners...)
}

// Pipelines returns the pipelines of tickets or deals.
func (s *Server) Pipelines(objType string) []hubspot.Pipeline {
	t, _ := objectType(objType)
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]hubspot.Pipeline(nil), s.st.pipelines[t]...)
}
