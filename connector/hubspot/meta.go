package hubspot

import (
	"context"
	"errors"
	"fmt"

	"github.com/clarkmcc/go-hubspot/generated/v3/properties"
)

// Pipelines lists objType's pipelines ("tickets" or "deals") with their
// stages.
func (c *Client) Pipelines(ctx context.Context, objType string) ([]Pipeline, error) {
	op := "list " + objType + " pipelines"
	ctx = c.gen(ctx, callInfo{endpoint: "/crm/v3/pipelines/" + objType})
	_, resp, err := c.pipelines.PipelinesApi.GetAll(ctx, objType).Execute()
	var out Pipelines
	if err := c.finish(op, resp, err, &out); err != nil {
		return nil, err
	}
	return out.Results, nil
}

// Owners lists every active owner, all pages.
func (c *Client) Owners(ctx context.Context) ([]Owner, error) {
	const op = "list owners"
	var all []Owner
	after := ""
	for {
		gctx := c.gen(ctx, callInfo{endpoint: "/crm/v3/owners/"})
		r := c.owners.OwnersApi.GetPage(gctx).Limit(ListPageSize)
		if after != "" {
			r = r.After(after)
		}
		_, resp, err := r.Execute()
		var out Owners
		if err := c.finish(op, resp, err, &out); err != nil {
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

// Properties lists objType's property definitions.
func (c *Client) Properties(ctx context.Context, objType string) ([]Property, error) {
	op := "list " + objType + " properties"
	ctx = c.gen(ctx, callInfo{endpoint: "/crm/v3/properties/" + objType})
	_, resp, err := c.properties.CoreApi.GetAll(ctx, objType).Execute()
	var out Properties
	if err := c.finish(op, resp, err, &out); err != nil {
		return nil, err
	}
	return out.Results, nil
}

// EnsureProperties makes sure group and props exist on objType, creating
// the group if missing and only the properties whose names are missing.
// An existing property is left as it is, even if its definition differs:
// an admin may have changed its label or options on purpose. It returns
// the names it created; a second run creates nothing.
func (c *Client) EnsureProperties(ctx context.Context, objType string, group PropertyGroup, props []Property) ([]string, error) {
	if err := c.ensureGroup(ctx, objType, group); err != nil {
		return nil, err
	}
	existing, err := c.Properties(ctx, objType)
	if err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(existing))
	for _, p := range existing {
		have[p.Name] = true
	}
	var created []string
	for _, p := range props {
		if have[p.Name] {
			continue
		}
		if p.GroupName == "" {
			p.GroupName = group.Name
		}
		op := "create " + objType + " property " + p.Name
		body, err := convert[properties.PropertyCreate](op, p)
		if err != nil {
			return created, err
		}
		gctx := c.gen(ctx, callInfo{endpoint: "/crm/v3/properties/" + objType})
		_, resp, gerr := c.properties.CoreApi.Create(gctx, objType).PropertyCreate(body).Execute()
		err = c.finish(op, resp, gerr, nil)
		switch {
		case errors.Is(err, ErrConflict):
			// Someone else created it between the list and now.
		case err != nil:
			return created, err
		default:
			created = append(created, p.Name)
		}
		have[p.Name] = true
	}
	return created, nil
}

func (c *Client) ensureGroup(ctx context.Context, objType string, group PropertyGroup) error {
	op := "get " + objType + " property group " + group.Name
	gctx := c.gen(ctx, callInfo{endpoint: "/crm/v3/properties/" + objType + "/groups/{name}"})
	_, resp, gerr := c.properties.GroupsApi.GroupsGetByName(gctx, objType, group.Name).Execute()
	err := c.finish(op, resp, gerr, nil)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return err
	}
	op = "create " + objType + " property group " + group.Name
	body := properties.PropertyGroupCreate{Name: group.Name, Label: group.Label}
	if group.DisplayOrder != 0 {
		order := int32(group.DisplayOrder)
		body.DisplayOrder = &order
	}
	gctx = c.gen(ctx, callInfo{endpoint: "/crm/v3/properties/" + objType + "/groups"})
	_, resp, gerr = c.properties.GroupsApi.GroupsCreate(gctx, objType).PropertyGroupCreate(body).Execute()
	if err := c.finish(op, resp, gerr, nil); err != nil && !errors.Is(err, ErrConflict) {
		return err
	}
	return nil
}
