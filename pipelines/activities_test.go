package pipelines

import (
	"testing"

	"github.com/alusta/alusta/connector/hubspot"
)

func TestParseActivities(t *testing.T) {
	m := testMapping(t)
	companies := []hubspot.Object{
		obj("12", monday, map[string]string{"name": "Kerho ry", "alusta_org_type": "jarjesto", "alusta_provider_active": "true",
			"alusta_activity_themes": "yksinaisyys;liikunta", "alusta_activity_channel": "paikan_paalla", "alusta_provider_areas": "Nokia"}),
		obj("3", monday, map[string]string{"name": "Siivous Oy", "alusta_org_type": "yritys", "alusta_provider_services": "siivous"}),
		obj("4", monday, map[string]string{"name": "Vanha Oy", "alusta_provider_services": "siivous"}),
		obj("9", monday, map[string]string{"name": "Toinen ry", "alusta_org_type": "Jarjesto"}),
	}
	as := ParseActivities(m, companies)
	if len(as) != 2 || as[0].ID != "9" || as[1].ID != "12" || as[1].Themes[1] != "liikunta" || !as[1].Active {
		t.Errorf("got activities %+v, want 9 and 12 in that order", as)
	}
	ps := ParseProviders(m, companies)
	if len(ps) != 2 || ps[0].ID != "3" || ps[1].ID != "4" {
		t.Errorf("got providers %+v, want 3 and 4 (an empty org type is a provider)", ps)
	}
}

func TestActivitySuits(t *testing.T) {
	a := Activity{ID: "1", Active: true, Themes: []string{"yksinaisyys", "liikunta"}, TargetGroups: []string{"ikaantyneet"},
		Areas: []string{"Nokia"}, Channels: []string{"paikan_paalla"}, Languages: []string{"fi"}}
	online := a
	online.Channels = []string{"verkossa"}
	stopped := a
	stopped.Active = false
	tests := []struct {
		name       string
		a          Activity
		needs      []string
		muni, grp  string
		lang       string
		matchLang  bool
		want       bool
		wantReason string
	}{
		{name: "fits", a: a, needs: []string{"liikunta"}, muni: "Nokia", grp: "ikaantyneet", lang: "fi", matchLang: true, want: true},
		{name: "no municipality narrows nothing", a: a, needs: []string{"liikunta"}, want: true},
		{name: "inactive", a: stopped, needs: []string{"liikunta"}, wantReason: "inactive"},
		{name: "other needs", a: a, needs: []string{"paihteet"}, wantReason: "no theme among the needs"},
		{name: "elsewhere", a: a, needs: []string{"liikunta"}, muni: "Tampere", wantReason: "not in Tampere"},
		{name: "online reaches everywhere", a: online, needs: []string{"liikunta"}, muni: "Tampere", want: true},
		{name: "other group", a: a, needs: []string{"liikunta"}, grp: "lapsiperheet", wantReason: "not for lapsiperheet"},
		{name: "language", a: a, needs: []string{"liikunta"}, lang: "sv", matchLang: true, wantReason: "not in sv"},
		{name: "language not asked for", a: a, needs: []string{"liikunta"}, lang: "sv", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := tt.a.Suits(tt.needs, tt.muni, tt.grp, tt.lang, tt.matchLang)
			if got != tt.want || why != tt.wantReason {
				t.Errorf("got %t %q, want %t %q", got, why, tt.want, tt.wantReason)
			}
		})
	}
}
