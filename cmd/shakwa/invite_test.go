package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/storage"
)

// inviteDB is the Redis database of TestInvite.
const inviteDB = 5

// TestInvite: `shakwa invite` makes a code the bot takes with /join,
// once; a role or centre it does not know is refused. The code is alone
// on stdout, as CODE=$(shakwa invite ...) takes it.
func TestInvite(t *testing.T) {
	redisURL := testRedis(t, inviteDB)
	getenv := func(k string) string { return map[string]string{"REDIS_URL": redisURL}[k] }
	for _, args := range [][]string{{"invite", "-config", testConfig, "cook", "KRM"}, {"invite", "-config", testConfig, "staff", "XYZ"},
		{"invite", "-config", testConfig, "staff"}, {"invite", "-config", testConfig, "manager", "KRM"}} {
		if err := run(context.Background(), args, getenv, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	var out, diag bytes.Buffer
	if err := run(context.Background(), []string{"invite", "-config", testConfig, "staff", "krm"}, getenv, &out, &diag); err != nil {
		t.Fatalf("invite: %v", err)
	}
	code := regexp.MustCompile(`^\d{8}\n$`).FindString(out.String())
	if code == "" || !strings.Contains(diag.String(), "/join "+strings.TrimSpace(code)) {
		t.Fatalf("invite printed %q on stdout and %q on stderr; want the code alone on stdout, how to use it on stderr",
			out.String(), diag.String())
	}
	store, err := storage.Open(context.Background(), redisURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	m, err := store.Join(context.Background(), strings.TrimSpace(code), shakwa.Member{Telegram: 130, Name: "x"})
	if err != nil || m.Role != shakwa.RoleStaff || len(m.Centres) != 1 || m.Centres[0] != "KRM" || m.By != "server" {
		t.Errorf("Join = %+v, %v", m, err)
	}
}
