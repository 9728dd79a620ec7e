package hubspot

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// badProperty is one entry of HubSpot's "Property values were not valid".
type badProperty struct {
	Name    string `json:"name"`
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (b badProperty) recordError(id string) RecordError {
	return RecordError{ID: id, Property: b.Name, Status: "error", Category: CategoryValidation, Message: b.Code + ": " + b.Message}
}

// invalidPropsPrefix starts the message of HubSpot's 400 for bad property
// values; a JSON list of the properties follows it.
const invalidPropsPrefix = "Property values were not valid: "

// rejectedProperties lists the properties a 400 VALIDATION_ERROR blames,
// from the error details' propertyName context or, where HubSpot gives
// none, from the JSON list in the message. It is empty for any other error.
func rejectedProperties(err error) []badProperty {
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || ae.Category != CategoryValidation {
		return nil
	}
	var out []badProperty
	for _, d := range ae.Errors {
		for _, name := range d.Context["propertyName"] {
			out = append(out, badProperty{Name: name, Code: d.Code, Message: d.Message})
		}
	}
	if len(out) > 0 {
		return out
	}
	if _, list, ok := strings.Cut(ae.Message, invalidPropsPrefix); ok {
		if err := json.NewDecoder(strings.NewReader(list)).Decode(&out); err != nil {
			return nil
		}
	}
	var named []badProperty
	for _, b := range out {
		if b.Name != "" {
			named = append(named, b)
		}
	}
	return named
}
