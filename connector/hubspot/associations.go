package hubspot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// The v4 association calls are alusta's own requests: go-hubspot's v4
// package types object ids as int32 (real ids are about 5e9) and has no
// per-record endpoints at all. Object ids are strings in the API and
// int64 in the wire types.

func v4Objects(fromType, fromID, toType string) string {
	return "/crm/v4/objects/" + url.PathEscape(fromType) + "/" + url.PathEscape(fromID) +
		"/associations/" + url.PathEscape(toType)
}

// Associate links one record to another with the given association types
// (v4 PUT; it replaces nothing, adding labels is idempotent).
func (c *Client) Associate(ctx context.Context, fromType, fromID, toType, toID string, types []AssociationSpec) error {
	op := "associate " + fromType + " to " + toType
	if types == nil {
		types = []AssociationSpec{}
	}
	path := v4Objects(fromType, fromID, toType) + "/" + url.PathEscape(toID)
	info := callInfo{endpoint: "/crm/v4/objects/" + fromType + "/{id}/associations/" + toType + "/{toId}"}
	var out LabelsBetweenObjectPair
	return c.send(ctx, op, info, "PUT", path, nil, types, &out)
}

// AssociationResult is the outcome of AssociateBatch: the pairs created and
// the per-pair failures of a 207.
type AssociationResult struct {
	Created []LabelsBetweenObjectPair
	Errors  []RecordError
}

// AssociateBatch creates associations BatchSize per call (v4
// batch/create). Association creates are idempotent in HubSpot, so they
// are retried like reads.
func (c *Client) AssociateBatch(ctx context.Context, fromType, toType string, inputs []AssociationPost) (*AssociationResult, error) {
	op := "batch associate " + fromType + " to " + toType
	res := &AssociationResult{}
	path := "/crm/v4/associations/" + url.PathEscape(fromType) + "/" + url.PathEscape(toType) + "/batch/create"
	info := callInfo{endpoint: "/crm/v4/associations/" + fromType + "/" + toType + "/batch/create"}
	for _, ch := range chunks(len(inputs)) {
		part := inputs[ch[0]:ch[1]]
		ids := make([]string, len(part))
		for i := range part {
			ids[i] = part[i].From.ID
			if part[i].Types == nil {
				part[i].Types = []AssociationSpec{}
			}
		}
		var out struct {
			Status  string                    `json:"status"`
			Results []LabelsBetweenObjectPair `json:"results"`
			Errors  []v4Error                 `json:"errors"`
		}
		if err := c.send(ctx, op, info, "POST", path, nil, BatchAssociationRequest{Inputs: part}, &out); err != nil {
			return res, err
		}
		res.Created = append(res.Created, out.Results...)
		errs := make([]StandardError, len(out.Errors))
		for i, e := range out.Errors {
			errs[i] = e.standard()
		}
		res.Errors = append(res.Errors, recordErrors(errs, ids)...)
	}
	return res, nil
}

// v4Error is StandardError as the v4 spec has it: category is an
// ErrorCategory object ({name, httpStatus}) there, a string in v3. Both are
// read.
type v4Error struct {
	Status   string              `json:"status"`
	ID       string              `json:"id,omitempty"`
	Category json.RawMessage     `json:"category"`
	Message  string              `json:"message"`
	Context  map[string][]string `json:"context"`
}

func (e v4Error) standard() StandardError {
	out := StandardError{Status: e.Status, ID: e.ID, Message: e.Message, Context: e.Context}
	var name string
	if json.Unmarshal(e.Category, &name) != nil {
		var obj struct {
			Name string `json:"name"`
		}
		json.Unmarshal(e.Category, &obj)
		name = obj.Name
	}
	out.Category = name
	return out
}

// Associations lists the records of toType associated with one record,
// all pages (v4 GET per record).
func (c *Client) Associations(ctx context.Context, fromType, id, toType string) ([]AssociatedObject, error) {
	op := "list " + fromType + " " + toType + " associations"
	info := callInfo{endpoint: "/crm/v4/objects/" + fromType + "/{id}/associations/" + toType}
	var all []AssociatedObject
	after := ""
	for {
		q := url.Values{"limit": {"500"}}
		if after != "" {
			q.Set("after", after)
		}
		var out AssociatedObjects
		if err := c.send(ctx, op, info, "GET", v4Objects(fromType, id, toType), q, nil, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Results...)
		next := ""
		if out.Paging != nil && out.Paging.Next != nil {
			next = out.Paging.Next.After
		}
		if next == "" {
			return all, nil
		}
		if next == after {
			return nil, fmt.Errorf("hubspot: %s: cursor %q repeated: %w", op, next, ErrNoProgress)
		}
		after = next
	}
}

// AssociationLabels lists the association types (labels) defined from
// fromType to toType.
func (c *Client) AssociationLabels(ctx context.Context, fromType, toType string) ([]AssociationType, error) {
	op := "list " + fromType + " " + toType + " association labels"
	path := "/crm/v4/associations/" + url.PathEscape(fromType) + "/" + url.PathEscape(toType) + "/labels"
	var out AssociationLabels
	if err := c.send(ctx, op, callInfo{endpoint: path}, "GET", path, nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Results, nil
}

// noteAssociation is the HubSpot-defined type from a note to objType.
func noteAssociation(objType string) (int, error) {
	switch objType {
	case Tickets:
		return AssocNoteToTicket, nil
	case Deals:
		return AssocNoteToDeal, nil
	case Companies:
		return AssocNoteToCompany, nil
	}
	return 0, fmt.Errorf("hubspot: add note: no note association to %q", objType)
}

// AddNote attaches a note to a record: one create with hs_note_body,
// hs_timestamp and the association. Like every create it is not replayed
// after an ambiguous failure; the caller sees the error and decides.
func (c *Client) AddNote(ctx context.Context, objType, id, body string, at time.Time) (string, error) {
	in, err := noteInput(Note{ObjectType: objType, ID: id, Body: body, At: at})
	if err != nil {
		return "", err
	}
	note, err := c.Create(ctx, Notes, in)
	if err != nil {
		return "", err
	}
	return note.ID, nil
}

// Note is a note to attach to one record.
type Note struct {
	ObjectType, ID string
	Body           string
	At             time.Time
}

// AddNotes attaches notes in batches of 100, one call each, rather than
// a call per note. Like every create it is not replayed after an
// ambiguous failure: a note may then be missing, never doubled.
func (c *Client) AddNotes(ctx context.Context, notes []Note) ([]Object, []RecordError, error) {
	inputs := make([]ObjectInput, 0, len(notes))
	for _, n := range notes {
		in, err := noteInput(n)
		if err != nil {
			return nil, nil, err
		}
		inputs = append(inputs, in)
	}
	return c.BatchCreate(ctx, Notes, inputs)
}

func noteInput(n Note) (ObjectInput, error) {
	typeID, err := noteAssociation(n.ObjectType)
	if err != nil {
		return ObjectInput{}, err
	}
	if _, err := strconv.ParseInt(n.ID, 10, 64); err != nil {
		return ObjectInput{}, fmt.Errorf("hubspot: add note to %s: id %q is not a record id", n.ObjectType, n.ID)
	}
	return ObjectInput{
		Properties: map[string]string{
			"hs_note_body": n.Body,
			"hs_timestamp": n.At.UTC().Format(TimeFormat),
		},
		Associations: []AssociationCreate{{
			To:    ObjectID{ID: n.ID},
			Types: []AssociationSpec{{Category: HubSpotDefined, TypeID: typeID}},
		}},
	}, nil
}
