package sandbox

import (
	"net/http"

	"github.com/alusta/alusta/connector/hubspot"
)

// handleAccountDetails answers GET /account-info/v3/details with the
// state's own portal id, so that a store bound to one sandbox state
// recognises another (or a reseeded one) as a different portal.
func (s *Server) handleAccountDetails(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, hubspot.AccountDetails{
		PortalID:              s.PortalID(),
		AccountType:           "DEVELOPER_TEST",
		TimeZone:              "Europe/Helsinki",
		CompanyCurrency:       "EUR",
		AdditionalCurrencies:  []string{},
		UTCOffset:             "+02:00",
		UTCOffsetMilliseconds: 2 * 60 * 60 * 1000,
		UIDomain:              "app-eu1.hubspot.com",
		DataHostingLocation:   "eu1",
	})
	return nil
}

// PortalID is the Hub ID this sandbox state answers with.
func (s *Server) PortalID() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.portalID
}
