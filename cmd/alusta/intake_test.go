package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alusta/alusta/intake"
	"github.com/alusta/alusta/store"
)

func TestIntakeKeyCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "alusta.db")
	out, err := runAlusta(t, "intake", "key", "add", "Tampere", "--store", db)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	key := lines[len(lines)-1]
	if !strings.HasPrefix(key, "ak_") || !strings.Contains(out, `key 1 for orderer "Tampere"`) {
		t.Fatalf("got %q, want the new key as the last line", out)
	}
	b, _ := os.ReadFile(db)
	if strings.Contains(string(b), key) {
		t.Fatal("the store holds the key itself, not only its hash")
	}
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if who, ok, _ := st.OrdererByKeyHash(context.Background(), intake.HashKey(key)); !ok || who != "Tampere" {
		t.Fatalf("got %q %v, want the key to name Tampere", who, ok)
	}
	st.Close()
	if out, _ = runAlusta(t, "intake", "key", "list", "--store", db); !strings.Contains(out, "Tampere") || strings.Contains(out, key) {
		t.Fatalf("list: got %q, want Tampere and no key", out)
	}
	if out, err = runAlusta(t, "intake", "key", "revoke", "1", "--store", db); err != nil || out != "key 1 revoked\n" {
		t.Fatalf("revoke: got %q %v", out, err)
	}
	if _, err = runAlusta(t, "intake", "key", "revoke", "1", "--store", db); err == nil || !strings.Contains(err.Error(), "no such active key") {
		t.Fatalf("revoke again: got %v, want no such active key", err)
	}
}

func TestIntakeImport(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("ALUSTA_PUBLIC_LINK_SECRET_FILE", filepath.Join(dir, "link.key"))
	db := filepath.Join(dir, "alusta.db")
	good := filepath.Join(dir, "good.csv")
	bad := filepath.Join(dir, "bad.csv")
	header := "\xef\xbb\xbforder_ref;service;municipality;start_date;units;unit;payer;language;first_name;last_name;address;postal_code;phone\n"
	os.WriteFile(good, []byte(header+"C-1;siivous;Tampere;2026-12-07;2,5;h;city;fi;Aino;Esimerkki;Hämeenkatu 1;33100;+358 40 123 4567\n"), 0o600)
	os.WriteFile(bad, []byte(header+"C-2;siivous;Tampere;2026-12-07;1;h;city;fi;Eino;Esimerkki;Hämeenkatu 2;33100;+358 40 123 4568\n"+
		"C-3;siivous;Turku;2026-12-07;1;h;city;fi;Saga;Esimerkki;Hämeenkatu 3;33100;+358 40 123 4569\n"), 0o600)
	exit := func(err error) int {
		var ec exitCoder
		if errors.As(err, &ec) {
			return ec.ExitCode()
		}
		if err != nil {
			return -1
		}
		return 0
	}
	tests := []struct {
		name    string
		args    []string
		code    int
		want    string
		created []string // orders in the store afterwards
	}{
		{name: "no orderer", args: []string{"intake", "import", good}, code: -1},
		{name: "dry run", args: []string{"intake", "import", good, "--orderer", "Tampere", "--dry-run"}, want: "would import 1 good rows; 0 problems"},
		{name: "bad rows block the file", args: []string{"intake", "import", bad, "--orderer", "Tampere"}, code: 1,
			want: `bad.csv:3:municipality: unknown municipality "Turku"`},
		{name: "good file", args: []string{"intake", "import", good, "--orderer", "Tampere"},
			want: "imported 1 orders (0 already imported, 0 conflicting); 0 problems", created: []string{"C-1"}},
		{name: "again changes nothing", args: []string{"intake", "import", good, "--orderer", "Tampere"},
			want: "imported 0 orders (1 already imported, 0 conflicting)", created: []string{"C-1"}},
		{name: "partial", args: []string{"intake", "import", bad, "--orderer", "Tampere", "--partial"}, code: 1,
			want: "imported 1 orders (0 already imported, 0 conflicting); 1 problems", created: []string{"C-1", "C-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runAlusta(t, append(tt.args, "--store", db)...)
			if got := exit(err); got != tt.code {
				t.Fatalf("got exit %d (%v), want %d; output:\n%s", got, err, tt.code, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Fatalf("got output\n%s\nwant it to hold %q", out, tt.want)
			}
			if tt.created == nil {
				return
			}
			st, err := store.Open(context.Background(), db, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			pending, _ := st.PendingOrders(context.Background())
			var refs []string
			for _, o := range pending {
				refs = append(refs, o.Ref)
			}
			if strings.Join(refs, ",") != strings.Join(tt.created, ",") {
				t.Fatalf("got orders %v, want %v", refs, tt.created)
			}
		})
	}

	// While the daemon runs in shadow mode (its last start said so in the
	// store), orders are not taken: stored now, they would reach HubSpot
	// days late. The file can still be checked.
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = st.SaveState(context.Background(), "sync/mode", "shadow")
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	later := filepath.Join(dir, "later.csv")
	os.WriteFile(later, []byte(header+"C-9;siivous;Tampere;2026-12-07;1;h;city;fi;Aino;Esimerkki;Hämeenkatu 1;33100;+358 40 123 4567\n"), 0o600)
	out, err := runAlusta(t, "intake", "import", later, "--orderer", "Tampere", "--store", db)
	if exit(err) == 0 || !strings.Contains(out+fmt.Sprint(err), "shadow mode") {
		t.Errorf("import in shadow mode: got exit %d (%v), output %q; want a refusal naming shadow mode", exit(err), err, out)
	}
	if out, err := runAlusta(t, "intake", "import", later, "--orderer", "Tampere", "--store", db, "--dry-run"); err != nil || !strings.Contains(out, "would import 1 good rows") {
		t.Errorf("dry run in shadow mode: got %v, output %q; want the check", err, out)
	}
	st, err = store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, ok, _ := st.Order(context.Background(), "Tampere", "C-9"); ok {
		t.Error("import in shadow mode stored the order")
	}
}

func TestAccessLogCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "alusta.db")
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.LogAccess(context.Background(), store.Access{DealID: "51", Party: "provider:9", Action: "view"})
	st.LogAccess(context.Background(), store.Access{DealID: "52", Party: "provider:8", Action: "view"})
	st.Close()
	out, err := runAlusta(t, "access-log", "--deal", "51", "--store", db)
	if err != nil || !strings.Contains(out, "provider:9  view") || strings.Contains(out, "provider:8") {
		t.Fatalf("got %q %v, want deal 51's one view", out, err)
	}
}
