package handlers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/storage"
)

// redisProc is a redis-server of the test's own, with AOF on, that the
// test can kill and start again on the same data.
type redisProc struct {
	t    *testing.T
	dir  string
	port int
	cmd  *exec.Cmd
}

func (r *redisProc) start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", fmt.Sprint(r.port), "--bind", "127.0.0.1",
		"--dir", r.dir, "--appendonly", "yes", "--appendfsync", "always", "--save", "")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	for range 100 {
		if c, err := net.Dial("tcp", fmt.Sprint("127.0.0.1:", r.port)); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.t.Fatal("redis-server did not start")
}

func (r *redisProc) kill() {
	_ = r.cmd.Process.Kill() // SIGKILL: no goodbye, like a crash
	_ = r.cmd.Wait()
}

// TestRedisRestartMidFlow: a citizen is halfway through a complaint when
// Redis dies. The next update is refused (so the platform sends it again)
// and nothing is lost: once Redis is back, the resent update continues the
// same conversation.
func TestRedisRestartMidFlow(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server not found; scripts/test installs it")
		}
		t.Skip("redis-server not found; scripts/test installs it")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	r := &redisProc{t: t, dir: t.TempDir(), port: port}
	r.start()
	defer r.kill()

	ctx := context.Background()
	store, err := storage.Open(ctx, fmt.Sprintf("redis://127.0.0.1:%d/0", port))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	cfg, _ := config.Parse([]byte(testConfig))
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h := New(cfg, store, strictText(t), time.Now, log, Options{})
	out := &replies{}
	in := bot.NewIntake(store, h, out, time.Now, log)
	in.Timeout = 2 * time.Second

	m := func(id, button string) *bot.Message {
		return &bot.Message{ID: id, Channel: "telegram", Chat: citizen.id, Button: button, ButtonToken: "cb" + id,
			From: bot.User{ID: citizen.id}}
	}
	for i, b := range []string{menuComplaint, "centre:KRM"} {
		if err := in.Deliver(ctx, m(fmt.Sprint(i), b)); err != nil {
			t.Fatal(err)
		}
	}

	r.kill()
	dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	err = in.Deliver(dctx, m("2", "cat:waiting"))
	cancel()
	if err == nil {
		t.Fatal("Deliver with Redis down returned nil; want an error so the update is sent again")
	}

	r.start()
	var resent error
	for range 50 { // the client reconnects on its own
		if resent = in.Deliver(ctx, m("2", "cat:waiting")); resent == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if resent != nil {
		t.Fatalf("resent update after the restart: %v", resent)
	}
	last := out.last()
	if !strings.Contains(last, "صِف ما حدث") {
		t.Errorf("after the restart the citizen got %q; want the description question (the flow went on)", last)
	}
}

// replies is an Enqueuer that keeps the replies' texts.
type replies struct{ texts []string }

func (r *replies) Enqueue(ctx context.Context, once string, keep time.Duration, rs []bot.Reply) (bool, error) {
	for _, x := range rs {
		if !x.Notice {
			r.texts = append(r.texts, x.Text)
		}
	}
	return true, nil
}

func (r *replies) last() string {
	if len(r.texts) == 0 {
		return ""
	}
	return r.texts[len(r.texts)-1]
}

// TestUpdateAgainAfterItsRepliesWereLost: the process stops after an update
// stepped the citizen's session but before its replies were queued. The
// update comes again and gets the answer it would have had (not the next
// question's reading of the same words), and the conversation goes on.
func TestUpdateAgainAfterItsRepliesWereLost(t *testing.T) {
	w := newWorld(t)
	w.press(citizen, menuComplaint)
	w.press(citizen, "centre:KRM")
	w.press(citizen, "cat:waiting")
	description := "انتظرت أكثر من ساعتين دون أن يُنادى رقمي"
	first := texts(w.text(citizen, description)) // the contact question
	// Its replies were lost with the process; intake hands it over again.
	if again := texts(w.again(citizen)); !slices.Equal(again, first) {
		t.Errorf("the description again: %q; want the same answer as the first time, %q", again, first)
	}
	w.press(citizen, "skip")
	rs := w.press(citizen, "confirm")
	var card string
	for _, r := range rs {
		if strings.HasPrefix(r.Ref, refCard) {
			card = strings.TrimPrefix(r.Ref, refCard)
		}
	}
	if card == "" {
		t.Fatalf("no ticket filed after the update came again: %q", texts(rs))
	}
	if got := w.ticket(card); got.Text != description {
		t.Errorf("ticket text %q; want %q", got.Text, description)
	}
	// A press delivered twice, likewise.
	w.press(citizen, menuComplaint)
	first = texts(w.press(citizen, "centre:KRM"))
	if again := texts(w.again(citizen)); !slices.Equal(again, first) {
		t.Errorf("the centre press again: %q; want %q", again, first)
	}
}
