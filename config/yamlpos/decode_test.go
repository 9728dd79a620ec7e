package yamlpos

import "testing"

func TestDecodeFile(t *testing.T) {
	type route struct {
		Name  string `yaml:"name"`
		Queue string `yaml:"queue"`
	}
	type file struct {
		Object string  `yaml:"object"`
		Limit  int     `yaml:"limit"`
		Routes []route `yaml:"routes"`
	}
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"good", "object: tickets\nlimit: 3\nroutes:\n  - name: a\n    queue: q\n", ""},
		{"every problem with its position", "object: tickets\nlimit: many\nroutes:\n  - name: a\n    queu: q\n  - nme: b\n",
			"r.yaml:2:8: limit: cannot read \"many\" as a int\n" +
				"r.yaml:5:5: routes[0]: unknown field \"queu\"\n" +
				"r.yaml:6:5: routes[1]: unknown field \"nme\""},
		{"syntax", "object: [tickets\n", "r.yaml:1:1: did not find expected ',' or ']'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f file
			doc, errs := DecodeFile("r.yaml", []byte(tt.src), &f)
			got := ""
			if err := errs.Err(); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
			if tt.name == "good" {
				if f.Routes[0].Queue != "q" || doc.Find("routes[0].queue") != (Pos{5, 12}) {
					t.Errorf("decoded %+v, queue at %v", f, doc.Find("routes[0].queue"))
				}
			}
		})
	}
}
