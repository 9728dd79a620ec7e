package public

import (
	"context"
	"strings"
	"testing"

	"github.com/alusta/alusta/connector/hubspot"
)

// TestClientChoiceByBusinessID: an orderer names the client's chosen
// provider by business id, and the order goes to that provider, not to
// whoever the rotation would pick.
func TestClientChoiceByBusinessID(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the order loop")
	}
	r := startRig(t)
	var chosen []hubspot.Object
	err := r.client.List(context.Background(), hubspot.Companies, []string{"name", "alusta_provider_business_id", "alusta_provider_email",
		"alusta_provider_services", "alusta_provider_areas", "alusta_provider_active"}, func(cs []hubspot.Object) error {
		for _, c := range cs {
			if strings.Contains(prop(&c, "alusta_provider_services"), "kotihoito") && strings.Contains(prop(&c, "alusta_provider_areas"), "Tampere") &&
				prop(&c, "alusta_provider_active") == "true" {
				chosen = append(chosen, c)
			}
		}
		return nil
	})
	if err != nil || len(chosen) < 2 {
		t.Fatalf("got %d kotihoito providers in Tampere (%v), want at least 2 to tell a choice from a rotation", len(chosen), err)
	}
	// The last one, which a round robin over a fresh portal reaches last.
	want := chosen[len(chosen)-1]
	o := order("CHOICE-1")
	o["client_choice"] = prop(&want, "alusta_provider_business_id")
	if code, body := r.postOrder(t, r.key, o); code != 202 {
		t.Fatalf("post: got %d %s", code, body)
	}
	to, _, _ := r.mailFor(t, "CHOICE-1")
	if to != prop(&want, "alusta_provider_email") {
		t.Fatalf("got the mail at %s, want the chosen provider's %s (%s)", to, prop(&want, "alusta_provider_email"), prop(&want, "name"))
	}
}

// TestReturningClientKeepsOneContact: HubSpot keeps one contact per e-mail
// address, so a client's second order joins the contact of the first.
func TestReturningClientKeepsOneContact(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the order loop")
	}
	r := startRig(t)
	ctx := context.Background()
	for _, ref := range []string{"MAIL-1", "MAIL-2"} {
		o := order(ref)
		cl := map[string]any{}
		for k, v := range client {
			cl[k] = v
		}
		cl["email"] = "aino.virtanen@example.fi"
		o["client"] = cl
		if code, body := r.postOrder(t, r.key, o); code != 202 {
			t.Fatalf("%s: got %d %s", ref, code, body)
		}
	}
	var ids [2]string
	waitFor(t, "both orders in HubSpot", func() bool {
		for i, ref := range []string{"MAIL-1", "MAIL-2"} {
			so, _, _ := r.st.Order(ctx, "Tampere", ref)
			ids[i] = so.ContactID
		}
		return ids[0] != "" && ids[1] != ""
	})
	if ids[0] != ids[1] {
		t.Fatalf("got contacts %s and %s, want one", ids[0], ids[1])
	}
}
