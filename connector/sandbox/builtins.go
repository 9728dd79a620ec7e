package sandbox

import (
	"strings"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// builtinProp is a HubSpot-defined property, written compactly:
// "name:type:fieldType:label[:opt1,opt2]".
func builtinProp(spec, group string, now time.Time) *hubspot.Property {
	f := strings.SplitN(spec, ":", 5)
	p := &hubspot.Property{
		Name: f[0], Type: f[1], FieldType: f[2], Label: f[3], GroupName: group,
		Options: []hubspot.Option{}, HubspotDefined: true, CreatedAt: &now, UpdatedAt: &now,
		ModificationMetadata: &hubspot.ModificationMetadata{ReadOnlyValue: readOnly[f[0]]},
	}
	if len(f) == 5 {
		for i, v := range strings.Split(f[4], ",") {
			p.Options = append(p.Options, hubspot.Option{Label: v, Value: v, DisplayOrder: i})
		}
	}
	return p
}

var commonProps = []string{
	"hs_object_id:number:number:Record ID",
	"createdate:datetime:date:Create Date",
	"hs_lastmodifieddate:datetime:date:Last Modified Date",
	"hubspot_owner_id:enumeration:select:Owner",
}

var builtinProps = map[string][]string{
	hubspot.Tickets: {
		"subject:string:text:Ticket name",
		"content:string:textarea:Ticket description",
		"hs_pipeline:enumeration:select:Pipeline",
		"hs_pipeline_stage:enumeration:select:Ticket status",
		"hs_ticket_priority:enumeration:select:Priority:LOW,MEDIUM,HIGH,URGENT",
		"hs_ticket_category:enumeration:checkbox:Category:PRODUCT_ISSUE,BILLING_ISSUE,FEATURE_REQUEST,GENERAL_INQUIRY",
		"source_type:enumeration:select:Source:EMAIL,PHONE,CHAT,FORM",
		"closed_date:datetime:date:Close date",
		"time_to_close:number:number:Time to close",
		"first_agent_reply_date:datetime:date:First agent email reply date",
	},
	hubspot.Deals: {
		"dealname:string:text:Deal Name",
		"amount:number:number:Amount",
		"closedate:datetime:date:Close Date",
		"pipeline:enumeration:select:Pipeline",
		"dealstage:enumeration:select:Deal Stage",
		"description:string:textarea:Deal Description",
	},
	hubspot.Companies: {
		"name:string:text:Company name",
		"domain:string:text:Company Domain Name",
		"city:string:text:City",
		"phone:string:phonenumber:Phone Number",
		"description:string:textarea:Description",
	},
	hubspot.Notes: {
		"hs_note_body:string:html:Note body",
		"hs_timestamp:datetime:date:Activity date",
	},
	"contacts": {
		"email:string:text:Email",
		"firstname:string:text:First Name",
		"lastname:string:text:Last Name",
		"phone:string:phonenumber:Phone Number",
		"mobilephone:string:phonenumber:Mobile Phone Number",
		"address:string:text:Street Address",
		"zip:string:text:Postal Code",
		"city:string:text:City",
		"hs_language:enumeration:select:Preferred language:fi,sv,en",
	},
}

// groupFor is the group HubSpot files its own properties under.
var groupFor = map[string]string{
	hubspot.Tickets: "ticketinformation", hubspot.Deals: "dealinformation",
	hubspot.Companies: "companyinformation", hubspot.Notes: "engagement", "contacts": "contactinformation",
}

// addBuiltins adds HubSpot's own properties, groups and default pipelines.
func (st *state) addBuiltins(now time.Time) {
	for _, t := range objectTypes {
		g := groupFor[t]
		st.groups[t] = []hubspot.PropertyGroup{{Name: g, Label: strings.ToUpper(g[:1]) + g[1:], DisplayOrder: -1}}
		for _, spec := range append(append([]string{}, commonProps...), builtinProps[t]...) {
			p := builtinProp(spec, g, now)
			st.props[t][p.Name] = p
		}
	}
	st.pipelines[hubspot.Tickets] = []hubspot.Pipeline{makePipeline("0", "Support Pipeline", now,
		[][3]string{{"1", "New", "false"}, {"2", "Waiting on contact", "false"}, {"3", "Waiting on us", "false"}, {"4", "Closed", "true"}})}
	st.pipelines[hubspot.Deals] = []hubspot.Pipeline{makePipeline("default", "Sales Pipeline", now,
		[][3]string{{"appointmentscheduled", "Appointment Scheduled", "0.2"}, {"qualifiedtobuy", "Qualified To Buy", "0.4"},
			{"closedwon", "Closed Won", "1.0"}, {"closedlost", "Closed Lost", "0.0"}})}
}

// makePipeline builds a pipeline; each stage is {id, label, meta}, meta
// being isClosed for tickets ("true"/"false") and probability for deals.
func makePipeline(id, label string, now time.Time, stages [][3]string) hubspot.Pipeline {
	p := hubspot.Pipeline{ID: id, Label: label, CreatedAt: now, UpdatedAt: now}
	for i, s := range stages {
		meta := map[string]string{}
		if s[2] == "true" || s[2] == "false" {
			meta["isClosed"] = s[2]
			meta["ticketState"] = map[string]string{"true": "CLOSED", "false": "OPEN"}[s[2]]
		} else {
			meta["probability"] = s[2]
			meta["isClosed"] = map[bool]string{true: "true", false: "false"}[s[2] == "1.0" || s[2] == "0.0"]
		}
		p.Stages = append(p.Stages, hubspot.Stage{ID: s[0], Label: s[1], DisplayOrder: i, Metadata: meta,
			CreatedAt: now, UpdatedAt: now, WritePermissions: "CRM_PERMISSIONS_ENFORCEMENT"})
	}
	return p
}

// defaultProps are the properties HubSpot returns when a read names none.
var defaultProps = map[string][]string{
	hubspot.Tickets:   {"content", "createdate", "hs_lastmodifieddate", "hs_object_id", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_category", "hs_ticket_priority", "subject"},
	hubspot.Deals:     {"amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate", "hs_object_id", "pipeline"},
	hubspot.Companies: {"createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"},
	hubspot.Notes:     {"createdate", "hs_lastmodifieddate", "hs_object_id"},
	"contacts":        {"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"},
}

// searchable are the properties a search's free-text query looks in.
var searchable = map[string][]string{
	hubspot.Tickets:   {"subject", "content", "hs_object_id"},
	hubspot.Deals:     {"dealname", "hs_object_id"},
	hubspot.Companies: {"name", "domain", "phone", "hs_object_id"},
	hubspot.Notes:     {"hs_note_body", "hs_object_id"},
	"contacts":        {"email", "firstname", "lastname", "hs_object_id"},
}
