package sandbox

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// stateFile is the JSON the sandbox persists to Options.StatePath.
type stateFile struct {
	Version  int   `json:"version"`
	PortalID int64 `json:"portalId,omitempty"`
	// Clean is true when Close wrote the file; a periodic save leaves it
	// false, so a file read after a crash is known to lack the changes
	// made after it was written.
	Clean      bool                               `json:"clean,omitempty"`
	NextID     int64                              `json:"nextId"`
	Objects    map[string][]storedObject          `json:"objects"`
	Properties map[string][]hubspot.Property      `json:"properties"`
	Groups     map[string][]hubspot.PropertyGroup `json:"groups"`
	Pipelines  map[string][]hubspot.Pipeline      `json:"pipelines"`
	Owners     []hubspot.Owner                    `json:"owners"`
	Assocs     []storedAssoc                      `json:"associations"`
	UserLabels []assocLabel                       `json:"userLabels,omitempty"`
}

type storedObject struct {
	ID         int64             `json:"id"`
	Props      map[string]string `json:"properties"`
	Created    time.Time         `json:"createdAt"`
	Updated    time.Time         `json:"updatedAt"`
	ArchivedAt *time.Time        `json:"archivedAt,omitempty"`
	// History holds the properties changed since creation, newest first.
	History map[string][]hubspot.ValueTime `json:"propertiesWithHistory,omitempty"`
}

type storedAssoc struct {
	From     string `json:"from"`
	FromID   int64  `json:"fromId"`
	To       string `json:"to"`
	ToID     int64  `json:"toId"`
	Category string `json:"category"`
	TypeID   int    `json:"typeId"`
}

const stateVersion = 1

// loadState reads a state file; a missing file is not an error (loaded is
// false).
func loadState(path string) (*state, bool, error) {
	if path == "" {
		return nil, false, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("sandbox: load state: %w", err)
	}
	var f stateFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, false, fmt.Errorf("sandbox: load state %s: %w", path, err)
	}
	if f.Version != stateVersion {
		return nil, false, fmt.Errorf("sandbox: load state %s: version %d, want %d", path, f.Version, stateVersion)
	}
	st := newState()
	st.nextID = f.NextID
	st.cleanStop = f.Clean
	if f.PortalID != 0 {
		st.portalID = f.PortalID // an older file without one keeps the new draw
	}
	for t, ps := range f.Properties {
		if st.props[t] == nil {
			continue
		}
		for i := range ps {
			st.props[t][ps[i].Name] = &ps[i]
		}
	}
	st.groups, st.pipelines, st.owners, st.userLabels = f.Groups, f.Pipelines, f.Owners, f.UserLabels
	// A file from before the stage dates keeps its portal without them.
	st.indexStageDates()
	for t, objs := range f.Objects {
		c := st.objects[t]
		if c == nil {
			continue
		}
		slices.SortFunc(objs, func(a, b storedObject) int { return cmpInt(a.ID, b.ID) })
		for _, o := range objs {
			v := st.newVersion(t, o.ID, o.Props, o.Created, o.Updated)
			if o.ArchivedAt != nil {
				v.archived, v.archAt = true, *o.ArchivedAt
			}
			r := &record{cur: v, changedAt: o.Updated, hist: o.History}
			c.byID[o.ID] = r
			c.order = append(c.order, r)
		}
	}
	for _, a := range f.Assocs {
		st.addLink(a.From, a.FromID, a.To, a.ToID, assocLink{a.Category, a.TypeID})
	}
	return st, true, nil
}

func (st *state) file() stateFile {
	f := stateFile{
		Version: stateVersion, PortalID: st.portalID, NextID: st.nextID,
		Objects: map[string][]storedObject{}, Properties: map[string][]hubspot.Property{},
		Groups: st.groups, Pipelines: st.pipelines, Owners: st.owners, UserLabels: st.userLabels,
	}
	for _, t := range objectTypes {
		f.Properties[t] = st.sortedProps(t)
		var objs []storedObject
		for _, r := range st.objects[t].order {
			v := r.cur
			o := storedObject{ID: v.id, Props: v.props, Created: v.created, Updated: v.updated, History: r.hist}
			if v.archived {
				at := v.archAt
				o.ArchivedAt = &at
			}
			objs = append(objs, o)
		}
		f.Objects[t] = objs
	}
	keys := slices.SortedFunc(maps.Keys(st.assocs), func(a, b assocKey) int {
		return cmp.Or(strings.Compare(a.from, b.from), cmpInt(a.fromID, b.fromID), strings.Compare(a.to, b.to))
	})
	for _, k := range keys {
		m := st.assocs[k]
		for _, toID := range slices.Sorted(maps.Keys(m)) {
			for _, l := range m[toID] {
				f.Assocs = append(f.Assocs, storedAssoc{k.from, k.fromID, k.to, toID, l.category, l.typeID})
			}
		}
	}
	return f
}

// Save writes the state file now (a no-op without Options.StatePath). It
// writes a temporary file and renames it, so a crash never leaves half a
// file.
func (s *Server) Save() error { return s.save(false) }

// save writes the state file; clean marks the last save before a stop.
func (s *Server) save(clean bool) error {
	if s.opts.StatePath == "" {
		return nil
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	f := s.st.file()
	f.Clean = clean
	b, err := json.Marshal(f)
	s.dirty = false
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("sandbox: save state: %w", err)
	}
	dir := filepath.Dir(s.opts.StatePath)
	tmp, err := os.CreateTemp(dir, ".sandbox-state-*")
	if err != nil {
		return fmt.Errorf("sandbox: save state: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("sandbox: save state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("sandbox: save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.opts.StatePath); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("sandbox: save state: %w", err)
	}
	return nil
}
