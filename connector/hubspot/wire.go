package hubspot

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// The types in this file are HubSpot's CRM v3/v4 JSON shapes as the specs in
// the go-hubspot module's schema/ folder define them. The client and the
// sandbox share them, so that what one sends is what the other reads. Only
// the fields alusta needs are typed; the specs are the authority.

// Object types alusta works with, as they appear in URL paths.
const (
	Tickets   = "tickets"
	Deals     = "deals"
	Companies = "companies"
	Notes     = "notes"
)

// Object is SimplePublicObject (and SimplePublicObjectWithAssociations).
// A property HubSpot returns as JSON null is absent from Properties, which is
// how alusta tells "no value" from "empty string".
type Object struct {
	ID           string                 `json:"id"`
	Properties   map[string]*string     `json:"properties"`
	CreatedAt    time.Time              `json:"createdAt"`
	UpdatedAt    time.Time              `json:"updatedAt"`
	Archived     bool                   `json:"archived"`
	ArchivedAt   *time.Time             `json:"archivedAt,omitempty"`
	Associations map[string]Collection  `json:"associations,omitempty"`
	WithHistory  map[string][]ValueTime `json:"propertiesWithHistory,omitempty"`
}

// Prop returns a property value and whether it was set (non-null).
func (o *Object) Prop(name string) (string, bool) {
	if o == nil || o.Properties == nil {
		return "", false
	}
	v, ok := o.Properties[name]
	if !ok || v == nil {
		return "", false
	}
	return *v, true
}

// ValueTime is ValueWithTimestamp.
type ValueTime struct {
	Value           string    `json:"value"`
	Timestamp       time.Time `json:"timestamp"`
	SourceType      string    `json:"sourceType"`
	SourceID        string    `json:"sourceId,omitempty"`
	SourceLabel     string    `json:"sourceLabel,omitempty"`
	UpdatedByUserID int64     `json:"updatedByUserId,omitempty"`
}

// Collection is the associations block embedded in an object read with
// ?associations=.
type Collection struct {
	Results []AssociationRef `json:"results"`
	Paging  *Paging          `json:"paging,omitempty"`
}

// AssociationRef is AssociatedId.
type AssociationRef struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// ObjectInput is SimplePublicObjectInput (PATCH body) and, with
// Associations, SimplePublicObjectInputForCreate.
type ObjectInput struct {
	Properties   map[string]string   `json:"properties"`
	Associations []AssociationCreate `json:"associations,omitempty"`
}

// AssociationCreate is PublicAssociationsForObject.
type AssociationCreate struct {
	To    ObjectID          `json:"to"`
	Types []AssociationSpec `json:"types"`
}

// ObjectID is SimplePublicObjectId / PublicObjectId.
type ObjectID struct {
	ID string `json:"id"`
}

// AssociationSpec is AssociationSpec. Association type ids are small
// (HubSpot-defined ones are below 1000), so int is safe here; object ids are
// not, which is why they are strings everywhere in this file.
type AssociationSpec struct {
	Category string `json:"associationCategory"`
	TypeID   int    `json:"associationTypeId"`
}

// Association categories.
const (
	HubSpotDefined    = "HUBSPOT_DEFINED"
	UserDefined       = "USER_DEFINED"
	IntegratorDefined = "INTEGRATOR_DEFINED"
)

// Paging is ForwardPaging.
type Paging struct {
	Next *NextPage `json:"next,omitempty"`
}

// NextPage is NextPage.
type NextPage struct {
	After string `json:"after"`
	Link  string `json:"link,omitempty"`
}

// Page is CollectionResponseSimplePublicObjectWithAssociationsForwardPaging
// (list) and, with Total, CollectionResponseWithTotalSimplePublicObjectForwardPaging
// (search).
type Page struct {
	Total   *int     `json:"total,omitempty"`
	Results []Object `json:"results"`
	Paging  *Paging  `json:"paging,omitempty"`
}

// After returns the cursor of the next page, or "" on the last page.
func (p *Page) After() string {
	if p == nil || p.Paging == nil || p.Paging.Next == nil {
		return ""
	}
	return p.Paging.Next.After
}

// SearchRequest is PublicObjectSearchRequest. Sorts are strings in the spec
// ("createdate", "-createdate") but HubSpot and its official clients also
// send objects ({"propertyName":..., "direction":...}); Sort reads both.
type SearchRequest struct {
	Query        string        `json:"query,omitempty"`
	Limit        int           `json:"limit"`
	After        string        `json:"after"`
	Sorts        []Sort        `json:"sorts"`
	Properties   []string      `json:"properties"`
	FilterGroups []FilterGroup `json:"filterGroups"`
}

// FilterGroup is FilterGroup: its filters are ANDed, the groups ORed.
type FilterGroup struct {
	Filters []Filter `json:"filters"`
}

// Filter is Filter.
type Filter struct {
	PropertyName string   `json:"propertyName"`
	Operator     string   `json:"operator"`
	Value        string   `json:"value,omitempty"`
	HighValue    string   `json:"highValue,omitempty"`
	Values       []string `json:"values,omitempty"`
}

// Search operators, every one the spec lists.
const (
	OpEQ               = "EQ"
	OpNEQ              = "NEQ"
	OpLT               = "LT"
	OpLTE              = "LTE"
	OpGT               = "GT"
	OpGTE              = "GTE"
	OpBetween          = "BETWEEN"
	OpIn               = "IN"
	OpNotIn            = "NOT_IN"
	OpHasProperty      = "HAS_PROPERTY"
	OpNotHasProperty   = "NOT_HAS_PROPERTY"
	OpContainsToken    = "CONTAINS_TOKEN"
	OpNotContainsToken = "NOT_CONTAINS_TOKEN"
)

// Operators lists every search operator in the spec's order.
var Operators = []string{OpEQ, OpNEQ, OpLT, OpLTE, OpGT, OpGTE, OpBetween, OpIn, OpNotIn,
	OpHasProperty, OpNotHasProperty, OpContainsToken, OpNotContainsToken}

// Sort is one search sort.
type Sort struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"` // ASCENDING or DESCENDING
}

// MarshalJSON writes the spec's string form: "name" or "-name".
func (s Sort) MarshalJSON() ([]byte, error) {
	v := s.PropertyName
	if s.Direction == "DESCENDING" {
		v = "-" + v
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads the string form and the object form.
func (s *Sort) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		s.Direction = "ASCENDING"
		if strings.HasPrefix(str, "-") {
			s.Direction, str = "DESCENDING", str[1:]
		}
		s.PropertyName = str
		return nil
	}
	var obj struct {
		PropertyName string `json:"propertyName"`
		Direction    string `json:"direction"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("sort: want a string or {propertyName, direction}: %w", err)
	}
	s.PropertyName, s.Direction = obj.PropertyName, strings.ToUpper(obj.Direction)
	if s.Direction == "" {
		s.Direction = "ASCENDING"
	}
	return nil
}

// BatchReadRequest is BatchReadInputSimplePublicObjectId.
type BatchReadRequest struct {
	Properties  []string   `json:"properties"`
	WithHistory []string   `json:"propertiesWithHistory"`
	IDProperty  string     `json:"idProperty,omitempty"`
	Inputs      []ObjectID `json:"inputs"`
}

// BatchUpdateRequest is BatchInputSimplePublicObjectBatchInput.
type BatchUpdateRequest struct {
	Inputs []BatchUpdateInput `json:"inputs"`
}

// BatchUpdateInput is SimplePublicObjectBatchInput.
type BatchUpdateInput struct {
	ID         string            `json:"id"`
	IDProperty string            `json:"idProperty,omitempty"`
	Properties map[string]string `json:"properties"`
}

// BatchCreateRequest is BatchInputSimplePublicObjectInputForCreate.
type BatchCreateRequest struct {
	Inputs []ObjectInput `json:"inputs"`
}

// BatchArchiveRequest is BatchInputSimplePublicObjectId.
type BatchArchiveRequest struct {
	Inputs []ObjectID `json:"inputs"`
}

// BatchResponse is BatchResponseSimplePublicObject and, with Errors,
// BatchResponseSimplePublicObjectWithErrors (HTTP 207).
type BatchResponse struct {
	Status      string          `json:"status"`
	Results     []Object        `json:"results"`
	NumErrors   int             `json:"numErrors,omitempty"`
	Errors      []StandardError `json:"errors,omitempty"`
	RequestedAt *time.Time      `json:"requestedAt,omitempty"`
	StartedAt   time.Time       `json:"startedAt"`
	CompletedAt time.Time       `json:"completedAt"`
}

// StandardError is one record's failure inside a batch response.
type StandardError struct {
	Status      string              `json:"status"`
	ID          string              `json:"id,omitempty"`
	Category    string              `json:"category"`
	SubCategory any                 `json:"subCategory,omitempty"`
	Message     string              `json:"message"`
	Errors      []ErrorDetail       `json:"errors"`
	Context     map[string][]string `json:"context"`
	Links       map[string]string   `json:"links"`
}

// ErrorBody is HubSpot's Error: the body of every non-2xx answer.
type ErrorBody struct {
	Status        string              `json:"status,omitempty"`
	Category      string              `json:"category"`
	SubCategory   string              `json:"subCategory,omitempty"`
	Message       string              `json:"message"`
	CorrelationID string              `json:"correlationId"`
	Context       map[string][]string `json:"context,omitempty"`
	Links         map[string]string   `json:"links,omitempty"`
	Errors        []ErrorDetail       `json:"errors,omitempty"`
	// PolicyName is set on 429 answers: TEN_SECONDLY_ROLLING, SECONDLY or DAILY.
	PolicyName string `json:"policyName,omitempty"`
}

// ErrorDetail is ErrorDetail.
type ErrorDetail struct {
	Message     string              `json:"message"`
	Code        string              `json:"code,omitempty"`
	In          string              `json:"in,omitempty"`
	SubCategory string              `json:"subCategory,omitempty"`
	Context     map[string][]string `json:"context,omitempty"`
}

// Error categories HubSpot uses that alusta tells apart.
const (
	CategoryValidation     = "VALIDATION_ERROR"
	CategoryRateLimits     = "RATE_LIMITS"
	CategoryInvalidAuth    = "INVALID_AUTHENTICATION"
	CategoryObjectNotFound = "OBJECT_NOT_FOUND"
	CategoryConflict       = "CONFLICT"
)

// Rate limit policy names in 429 bodies.
const (
	PolicyTenSecondly = "TEN_SECONDLY_ROLLING"
	PolicySecondly    = "SECONDLY"
	PolicyDaily       = "DAILY"
)

// Rate limit response headers.
const (
	HeaderDaily             = "X-HubSpot-RateLimit-Daily"
	HeaderDailyRemaining    = "X-HubSpot-RateLimit-Daily-Remaining"
	HeaderInterval          = "X-HubSpot-RateLimit-Interval-Milliseconds"
	HeaderMax               = "X-HubSpot-RateLimit-Max"
	HeaderRemaining         = "X-HubSpot-RateLimit-Remaining"
	HeaderSecondly          = "X-HubSpot-RateLimit-Secondly"
	HeaderSecondlyRemaining = "X-HubSpot-RateLimit-Secondly-Remaining"
	HeaderCorrelationID     = "X-HubSpot-Correlation-Id"
	HeaderSignatureV3       = "X-HubSpot-Signature-v3"
	HeaderRequestTimestamp  = "X-HubSpot-Request-Timestamp"
)

// Pipeline is Pipeline.
type Pipeline struct {
	ID           string    `json:"id"`
	Label        string    `json:"label"`
	DisplayOrder int       `json:"displayOrder"`
	Stages       []Stage   `json:"stages"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
	Archived     bool      `json:"archived"`
}

// Stage is PipelineStage. Metadata carries "isClosed" for tickets and
// "probability" for deals ("1.0" closed won, "0.0" closed lost).
type Stage struct {
	ID               string            `json:"id"`
	Label            string            `json:"label"`
	DisplayOrder     int               `json:"displayOrder"`
	Metadata         map[string]string `json:"metadata"`
	CreatedAt        time.Time         `json:"createdAt"`
	UpdatedAt        time.Time         `json:"updatedAt"`
	Archived         bool              `json:"archived"`
	WritePermissions string            `json:"writePermissions,omitempty"`
}

// Pipelines is CollectionResponsePipelineNoPaging.
type Pipelines struct {
	Results []Pipeline `json:"results"`
}

// Owner is PublicOwner.
type Owner struct {
	ID        string      `json:"id"`
	Email     string      `json:"email,omitempty"`
	FirstName string      `json:"firstName,omitempty"`
	LastName  string      `json:"lastName,omitempty"`
	UserID    int64       `json:"userId,omitempty"`
	CreatedAt time.Time   `json:"createdAt"`
	UpdatedAt time.Time   `json:"updatedAt"`
	Archived  bool        `json:"archived"`
	Teams     []OwnerTeam `json:"teams,omitempty"`
}

// OwnerTeam is PublicTeam.
type OwnerTeam struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Primary bool   `json:"primary"`
}

// Owners is CollectionResponsePublicOwnerForwardPaging.
type Owners struct {
	Results []Owner `json:"results"`
	Paging  *Paging `json:"paging,omitempty"`
}

// Property is Property.
type Property struct {
	Name                 string                `json:"name"`
	Label                string                `json:"label"`
	Type                 string                `json:"type"`      // string, number, date, datetime, enumeration, bool
	FieldType            string                `json:"fieldType"` // text, textarea, number, date, select, checkbox, booleancheckbox, radio
	Description          string                `json:"description"`
	GroupName            string                `json:"groupName"`
	Options              []Option              `json:"options"`
	DisplayOrder         int                   `json:"displayOrder,omitempty"`
	Calculated           bool                  `json:"calculated,omitempty"`
	ExternalOptions      bool                  `json:"externalOptions,omitempty"`
	HasUniqueValue       bool                  `json:"hasUniqueValue,omitempty"`
	Hidden               bool                  `json:"hidden,omitempty"`
	HubspotDefined       bool                  `json:"hubspotDefined,omitempty"`
	FormField            bool                  `json:"formField,omitempty"`
	CreatedAt            *time.Time            `json:"createdAt,omitempty"`
	UpdatedAt            *time.Time            `json:"updatedAt,omitempty"`
	ModificationMetadata *ModificationMetadata `json:"modificationMetadata,omitempty"`
}

// ModificationMetadata is PropertyModificationMetadata.
type ModificationMetadata struct {
	Archivable         bool `json:"archivable"`
	ReadOnlyDefinition bool `json:"readOnlyDefinition"`
	ReadOnlyValue      bool `json:"readOnlyValue"`
}

// Option is OptionInput / Option: one enumeration value.
type Option struct {
	Label        string `json:"label"`
	Value        string `json:"value"`
	DisplayOrder int    `json:"displayOrder"`
	Hidden       bool   `json:"hidden"`
	Description  string `json:"description,omitempty"`
}

// Properties is CollectionResponsePropertyNoPaging.
type Properties struct {
	Results []Property `json:"results"`
}

// PropertyGroup is PropertyGroup (and PropertyGroupCreate).
type PropertyGroup struct {
	Name         string `json:"name"`
	Label        string `json:"label"`
	DisplayOrder int    `json:"displayOrder"`
	Archived     bool   `json:"archived"`
}

// PropertyGroups is CollectionResponsePropertyGroupNoPaging.
type PropertyGroups struct {
	Results []PropertyGroup `json:"results"`
}

// AssociationType is AssociationSpecWithLabel (v4 labels and the types on
// an associated object).
type AssociationType struct {
	Category string  `json:"category"`
	TypeID   int     `json:"typeId"`
	Label    *string `json:"label"`
}

// AssociatedObject is MultiAssociatedObjectWithLabel. go-hubspot types
// toObjectId as int32, which overflows on real ids; int64 does not.
type AssociatedObject struct {
	ToObjectID       int64             `json:"toObjectId"`
	AssociationTypes []AssociationType `json:"associationTypes"`
}

// AssociatedObjects is CollectionResponseMultiAssociatedObjectWithLabelForwardPaging.
type AssociatedObjects struct {
	Results []AssociatedObject `json:"results"`
	Paging  *Paging            `json:"paging,omitempty"`
}

// LabelsBetweenObjectPair is the answer to a v4 association PUT.
type LabelsBetweenObjectPair struct {
	FromObjectTypeID string   `json:"fromObjectTypeId"`
	FromObjectID     int64    `json:"fromObjectId"`
	ToObjectTypeID   string   `json:"toObjectTypeId"`
	ToObjectID       int64    `json:"toObjectId"`
	Labels           []string `json:"labels"`
}

// AssociationLabels is CollectionResponseAssociationSpecWithLabelNoPaging.
type AssociationLabels struct {
	Results []AssociationType `json:"results"`
}

// BatchAssociationRequest is BatchInputPublicAssociationMultiPost (v4
// batch/create).
type BatchAssociationRequest struct {
	Inputs []AssociationPost `json:"inputs"`
}

// AssociationPost is PublicAssociationMultiPost.
type AssociationPost struct {
	From  ObjectID          `json:"from"`
	To    ObjectID          `json:"to"`
	Types []AssociationSpec `json:"types"`
}

// Webhook event as HubSpot delivers it (a JSON array of these per request).
type WebhookEvent struct {
	EventID          int64  `json:"eventId"`
	SubscriptionID   int64  `json:"subscriptionId"`
	PortalID         int64  `json:"portalId"`
	AppID            int64  `json:"appId"`
	OccurredAt       int64  `json:"occurredAt"` // epoch milliseconds
	SubscriptionType string `json:"subscriptionType"`
	AttemptNumber    int    `json:"attemptNumber"`
	ObjectID         int64  `json:"objectId"`
	ChangeSource     string `json:"changeSource,omitempty"`
	PropertyName     string `json:"propertyName,omitempty"`
	PropertyValue    string `json:"propertyValue,omitempty"`
	// ObjectTypeID is set on the generic object.* subscriptions ("0-5").
	ObjectTypeID string `json:"objectTypeId,omitempty"`
}

// Default HubSpot-defined association type ids alusta uses.
const (
	AssocDealToCompany   = 341 // primary: 5
	AssocTicketToCompany = 339 // primary: 26
	AssocNoteToTicket    = 228
	AssocNoteToDeal      = 214
	AssocNoteToCompany   = 190
)

// TimeFormat is how HubSpot writes datetime property values and
// timestamps: ISO 8601 in UTC with milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z"
