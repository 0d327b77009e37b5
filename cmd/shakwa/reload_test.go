package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot/telegram/telegramtest"
)

// reloadDB is the Redis database of TestReload.
const reloadDB = 4

// TestReload: on SIGHUP the bot reads its configuration file again. A new
// staff member works at once, while a citizen's conversation begun before
// goes on where it was; a file that would count tickets differently (a
// new SLA target) or that is marked the example is refused, said so in
// the log, and the one in force stays. A reload that changes what is read
// only at start warns, naming those fields.
func TestReload(t *testing.T) {
	redisURL := testRedis(t, reloadDB)
	api := telegramtest.NewServer(t, testToken)
	orig, err := os.ReadFile(testConfig)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "config.yaml")
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(string(orig))
	h, r, logs, stop := startWebhook(t, api, redisURL, file, 900_000)
	hessa := person{130, "حصة", "ar"}
	reload := func(want string) {
		t.Helper()
		before := strings.Count(logs.String(), want)
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(waitFor)
		for strings.Count(logs.String(), want) == before {
			if time.Now().After(deadline) {
				t.Fatalf("no %s line after SIGHUP", want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	// A citizen half-way through a complaint; Hessa is nobody yet.
	h.send(t, h.text(citizen, "/start"))
	menu := r.next(t, "sendMessage", citizen.chat())
	h.press(t, r, citizen, menu, "menu:complaint")
	centres := r.replaced(t, menu)
	h.send(t, h.text(hessa, "/queue"))
	if got := r.next(t, "sendMessage", hessa.chat()); strings.Contains(got.Text(), "/reply") {
		t.Fatalf("before the reload Hessa has staff commands: %q", got.Text())
	}

	write(string(orig) + "  - {telegram: 130, name: \"حصة الكتبي\", role: staff, centres: [KRM]}\n")
	reload(`"msg":"configuration reloaded"`)
	h.send(t, h.text(hessa, "/help"))
	if got := r.next(t, "sendMessage", hessa.chat()); !strings.Contains(got.Text(), "/reply") {
		t.Errorf("after the reload Hessa's /help: %q; want the staff commands", got.Text())
	}
	const keptWarning = `"msg":"configuration reloaded, but these fields keep their values from start until a restart"`
	if strings.Contains(logs.String(), keptWarning) {
		t.Errorf("a reload of people only warns of fields kept from start:\n%s", logs)
	}
	write(strings.Replace(string(orig), "limits: {duplicate_within: 0s}", "limits: {duplicate_within: 0s, bulk_per_second: 5}", 1) +
		"  - {telegram: 130, name: \"حصة الكتبي\", role: staff, centres: [KRM]}\n" +
		"web: {colour: \"#123456\", embed_origins: [\"https://www.centre.example\"]}\n")
	reload(keptWarning)
	if !strings.Contains(logs.String(), `"fields":["limits.bulk_per_second","web.colour","web.embed_origins"]`) {
		t.Errorf("the warning does not name the fields kept from start:\n%s", logs)
	}
	h.press(t, r, citizen, centres, "centre:KRM")
	wantData(t, r.replaced(t, centres), "cat:waiting") // the conversation went on

	write(strings.Replace(string(orig), "sla: {claim: 30m, resolve: 48h}", "sla: {claim: 10m, resolve: 48h}", 1) +
		"  - {telegram: 130, name: \"حصة الكتبي\", role: staff, centres: [KRM]}\n")
	reload(`"msg":"configuration not reloaded; the one in force stays"`)
	if !strings.Contains(logs.String(), "restart the replicas: as they start, one of them rebuilds the tallies") {
		t.Errorf("the refusal does not say what to do:\n%s", logs)
	}
	write("example: true\n" + string(orig))
	reload(`"msg":"configuration not reloaded; the one in force stays"`)
	if !strings.Contains(logs.String(), "is the example configuration") {
		t.Errorf("the reload of a file marked example is not refused as the example:\n%s", logs)
	}
	write("centres: [")
	reload(`"msg":"configuration not reloaded; the one in force stays"`)
	h.send(t, h.text(hessa, "/help"))
	if got := r.next(t, "sendMessage", hessa.chat()); !strings.Contains(got.Text(), "/reply") {
		t.Errorf("after refused reloads Hessa's /help: %q; want the staff commands still", got.Text())
	}
	if err := stop(); err != nil {
		t.Errorf("run: %v", err)
	}
	h.client.CloseIdleConnections()
}
