package hubspot

import (
	"context"
	"net/http"
)

// AccountDetails is GET /account-info/v3/details: which portal a token
// belongs to. alusta binds its store to PortalID.
type AccountDetails struct {
	PortalID              int64    `json:"portalId"`
	AccountType           string   `json:"accountType"`
	TimeZone              string   `json:"timeZone"`
	CompanyCurrency       string   `json:"companyCurrency"`
	AdditionalCurrencies  []string `json:"additionalCurrencies"`
	UTCOffset             string   `json:"utcOffset"`
	UTCOffsetMilliseconds int64    `json:"utcOffsetMilliseconds"`
	UIDomain              string   `json:"uiDomain"`
	DataHostingLocation   string   `json:"dataHostingLocation"`
}

// AccountDetails reads the portal's details, its Hub ID first of all.
func (c *Client) AccountDetails(ctx context.Context) (AccountDetails, error) {
	const path = "/account-info/v3/details"
	var out AccountDetails
	err := c.send(ctx, "read account details", callInfo{endpoint: path}, http.MethodGet, path, nil, nil, &out)
	return out, err
}
