package config

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCheckDemo checks when a missing token means the demo and when it is
// an error: a secret that failed to mount must not turn a production
// container into a demo answering 200 on /readyz.
func TestCheckDemo(t *testing.T) {
	dir := t.TempDir()
	storeFile := filepath.Join(dir, "alusta.yaml")
	if err := os.WriteFile(storeFile, []byte("store:\n  path: /var/lib/alusta/alusta.db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		file     string
		env      []string
		args     []string
		force    bool
		wantDemo bool
		wantErr  string
	}{
		{name: "bare run", wantDemo: true},
		{name: "store path by variable", env: []string{"ALUSTA_STORE_PATH=/var/lib/alusta/alusta.db"},
			wantErr: "config: hubspot.token: not set, but store.path (by ALUSTA_STORE_PATH) is set, so this is not the demo: give the private-app token (ALUSTA_HUBSPOT_TOKEN, hubspot.token or hubspot.token_file), or pass --demo to run the demo sandbox on purpose"},
		{name: "store path by flag", args: []string{"--store", "x.db"},
			wantErr: "config: hubspot.token: not set, but store.path (by --store) is set, so this is not the demo: give the private-app token (ALUSTA_HUBSPOT_TOKEN, hubspot.token or hubspot.token_file), or pass --demo to run the demo sandbox on purpose"},
		{name: "store path in the file", file: storeFile,
			wantErr: "config: hubspot.token: not set, but store.path (by " + storeFile + ":2:9) is set, so this is not the demo: give the private-app token (ALUSTA_HUBSPOT_TOKEN, hubspot.token or hubspot.token_file), or pass --demo to run the demo sandbox on purpose"},
		{name: "base URL and store path", env: []string{"ALUSTA_STORE_PATH=a.db", "ALUSTA_HUBSPOT_BASE_URL=http://127.0.0.1:8090"},
			wantErr: "config: hubspot.token: not set, but store.path (by ALUSTA_STORE_PATH) and hubspot.base_url (by ALUSTA_HUBSPOT_BASE_URL) are set, so this is not the demo: give the private-app token (ALUSTA_HUBSPOT_TOKEN, hubspot.token or hubspot.token_file), or pass --demo to run the demo sandbox on purpose"},
		{name: "--demo forces the demo", env: []string{"ALUSTA_STORE_PATH=/var/lib/alusta/alusta.db"}, force: true, wantDemo: true},
		{name: "--demo with a token", env: []string{"ALUSTA_HUBSPOT_TOKEN=pat-x"}, force: true, wantDemo: true},
		{name: "token", env: []string{"ALUSTA_HUBSPOT_TOKEN=pat-x", "ALUSTA_STORE_PATH=a.db"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.file, flagSet(t, tt.args...), tt.env)
			if err != nil {
				t.Fatal(err)
			}
			c.ForceDemo = tt.force
			err = c.CheckDemo()
			switch {
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Fatalf("got error %v,\nwant %s", err, tt.wantErr)
			case tt.wantErr == "" && err != nil:
				t.Fatalf("got error %v, want none", err)
			}
			if err == nil && c.Demo() != tt.wantDemo {
				t.Errorf("demo: got %v, want %v", c.Demo(), tt.wantDemo)
			}
		})
	}
}
