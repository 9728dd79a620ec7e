package sandbox

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/alusta/alusta/connector/hubspot"
)

// The object encoder writes JSON by hand: search answers are the hot path
// (the sandbox must serve 1,000 searches a second on one core) and
// encoding/json spends most of that budget on reflection over maps.

const hex = "0123456789abcdef"

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, hubspot.TimeFormat)
	return append(b, '"')
}

// appendObject writes SimplePublicObject with the given properties; a
// property without a value is written as null, as HubSpot does.
func appendObject(b []byte, v *version, props []string) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, v.idStr)
	b = append(b, `,"properties":{`...)
	for i, p := range props {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, p)
		b = append(b, ':')
		if val, ok := v.props[p]; ok {
			b = appendString(b, val)
		} else {
			b = append(b, "null"...)
		}
	}
	b = append(b, `},"createdAt":`...)
	b = appendTime(b, v.created)
	b = append(b, `,"updatedAt":`...)
	b = appendTime(b, v.updated)
	b = append(b, `,"archived":`...)
	b = strconv.AppendBool(b, v.archived)
	if v.archived {
		b = append(b, `,"archivedAt":`...)
		b = appendTime(b, v.archAt)
	}
	return append(b, '}')
}

// toObject is the wire form of a version with every property, for
// Server.Object and the rarer endpoints encoded with encoding/json.
func toObject(v *version, props []string) hubspot.Object {
	o := hubspot.Object{ID: v.idStr, Properties: map[string]*string{}, CreatedAt: v.created, UpdatedAt: v.updated, Archived: v.archived}
	if v.archived {
		at := v.archAt
		o.ArchivedAt = &at
	}
	if props == nil {
		for k, val := range v.props {
			o.Properties[k] = &val
		}
		return o
	}
	for _, p := range props {
		if val, ok := v.props[p]; ok {
			o.Properties[p] = &val
		} else {
			o.Properties[p] = nil
		}
	}
	return o
}
