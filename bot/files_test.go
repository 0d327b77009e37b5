package bot_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/files"
	"github.com/shakwa/shakwa/storage/storagetest"
)

// fileChannel is a channel that uploads the files of other channels from
// the file store, as Telegram's adapter does, and hands its own out
// (Fetcher).
type fileChannel struct {
	name    string
	files   bot.FileStore
	mu      sync.Mutex
	got     []shakwa.Attachment // as Send was given them
	uploads int
	fetches int
	own     map[string]string // its file ids -> bytes
}

func (c *fileChannel) Name() string                 { return c.name }
func (c *fileChannel) Pace(bot.Reply) time.Duration { return 0 }
func (c *fileChannel) PerSecond() float64           { return 0 }

func (c *fileChannel) Send(ctx context.Context, r bot.Reply, _ string) (bot.Sent, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sent := bot.Sent{MessageID: "m", Uploads: map[string]string{}}
	for _, a := range r.Attachments {
		c.got = append(c.got, a)
		if a.From == c.name {
			continue
		}
		rc, _, _, err := c.files.Open(ctx, a.File)
		if err != nil {
			return bot.Sent{}, err
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		c.uploads++
		id := fmt.Sprintf("%s-up-%d", c.name, c.uploads)
		c.own[id] = string(data)
		sent.Uploads[a.File] = id
	}
	return sent, nil
}

func (c *fileChannel) Fetch(_ context.Context, id string) (io.ReadCloser, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	data, ok := c.own[id]
	if !ok {
		return nil, "", fmt.Errorf("no file %s: %w", id, shakwa.ErrNotFound)
	}
	c.fetches++
	return io.NopCloser(strings.NewReader(data)), "image/jpeg", nil
}

// TestOutboxFilesCrossChannels: a file goes from the channel it came from
// to another through the file store: fetched from its channel once,
// uploaded to each channel once, and sent by its id there after.
func TestOutboxFilesCrossChannels(t *testing.T) {
	store := storagetest.Store(t)
	fs, err := files.Open(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	tg := &fileChannel{name: "telegram", files: fs, own: map[string]string{"AgAD-photo": "telegram photo bytes"}}
	wa := &fileChannel{name: "whatsapp", files: fs, own: map[string]string{}}
	o := bot.NewOutbox(store, []bot.Channel{tg, wa}, time.Now, quiet)
	o.Files, o.FileMap = fs, store
	photo := shakwa.Attachment{Kind: "photo", ID: "AgAD-photo", From: "telegram"}
	for range 2 {
		enqueue(t, o, bot.Reply{Channel: "whatsapp", Chat: "971500000001", Attachments: []shakwa.Attachment{photo}})
		drain(t, o)
	}
	if tg.fetches != 1 || wa.uploads != 1 || len(wa.got) != 2 {
		t.Fatalf("fetched %d, uploaded %d, sent %d; want 1, 1, 2", tg.fetches, wa.uploads, len(wa.got))
	}
	if first, second := wa.got[0], wa.got[1]; first.File == "" || first.From != "telegram" ||
		second.From != "whatsapp" || second.ID != "whatsapp-up-1" {
		t.Errorf("sent %+v, then %+v; want the stored file uploaded, then its whatsapp id", first, second)
	}
	if data := wa.own["whatsapp-up-1"]; data != "telegram photo bytes" {
		t.Errorf("uploaded %q; want the telegram photo's bytes", data)
	}
	// Back the other way: the uploaded copy is whatsapp's own file now.
	enqueue(t, o, bot.Reply{Channel: "telegram", Chat: "5001", Attachments: []shakwa.Attachment{wa.got[1]}})
	drain(t, o)
	if got := tg.got[len(tg.got)-1]; got.File == "" {
		t.Errorf("a whatsapp file sent to telegram: %+v; want it with its bytes", got)
	}
}

// TestOutboxFetchedFileGoes: a file fetched to cross channels is told to
// Fetched (no ticket keeps it: its bytes are the caller's to remove), and
// once its bytes went it is fetched again when another channel needs it.
func TestOutboxFetchedFileGoes(t *testing.T) {
	store := storagetest.Store(t)
	fs, err := files.Open(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	tg := &fileChannel{name: "telegram", files: fs, own: map[string]string{"AgAD-photo": "a staff member's photo"}}
	wa := &fileChannel{name: "whatsapp", files: fs, own: map[string]string{}}
	web := &fileChannel{name: "web", files: fs, own: map[string]string{}}
	o := bot.NewOutbox(store, []bot.Channel{tg, wa, web}, time.Now, quiet)
	o.Files, o.FileMap = fs, store
	var fetched []string
	o.Fetched = func(_ context.Context, content string) { fetched = append(fetched, content) }
	photo := shakwa.Attachment{Kind: "photo", ID: "AgAD-photo", From: "telegram"}
	enqueue(t, o, bot.Reply{Channel: "whatsapp", Chat: "971500000001", Attachments: []shakwa.Attachment{photo}})
	drain(t, o)
	if len(fetched) != 1 || fetched[0] == "" {
		t.Fatalf("Fetched heard %v; want the file's content id once", fetched)
	}
	if err := fs.Remove(fetched[0]); err != nil {
		t.Fatal(err)
	}
	enqueue(t, o, bot.Reply{Channel: "web", Chat: "visitor", Attachments: []shakwa.Attachment{photo}})
	drain(t, o)
	if tg.fetches != 2 || web.uploads != 1 || web.own["web-up-1"] != "a staff member's photo" {
		t.Errorf("after its bytes went: fetched %d, uploaded to the web %d (%q); want it fetched again and sent",
			tg.fetches, web.uploads, web.own["web-up-1"])
	}
	if n, _ := store.Pending(context.Background()); n != 0 {
		t.Errorf("%d left in the outbox", n)
	}
}

// expiringChannel is a channel whose file ids expire, as WhatsApp's do:
// it uploads whatever has bytes in the file store, its own files too.
type expiringChannel struct{ fileChannel }

func (c *expiringChannel) FileIDLife() time.Duration { return 30 * 24 * time.Hour }

func (c *expiringChannel) Send(ctx context.Context, r bot.Reply, _ string) (bot.Sent, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sent := bot.Sent{MessageID: "m", Uploads: map[string]string{}}
	for _, a := range r.Attachments {
		c.got = append(c.got, a)
		if a.File != "" {
			c.uploads++
			sent.Uploads[a.File] = fmt.Sprintf("%s-up-%d", c.name, c.uploads)
		}
	}
	return sent, nil
}

// TestOutboxOwnFileUploadedOnce: a channel's own file that is also in the
// file store, on a channel whose ids expire, is uploaded from the store
// once, and sent by that upload's id after.
func TestOutboxOwnFileUploadedOnce(t *testing.T) {
	store := storagetest.Store(t)
	fs, _ := files.Open(t.TempDir(), 1<<20)
	content, _, err := fs.Put(context.Background(), strings.NewReader("a citizen's photo"), "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	wa := &expiringChannel{fileChannel{name: "whatsapp", files: fs, own: map[string]string{}}}
	o := bot.NewOutbox(store, []bot.Channel{wa}, time.Now, quiet)
	o.Files, o.FileMap = fs, store
	photo := shakwa.Attachment{Kind: "photo", ID: "inbound-media-id", From: "whatsapp", File: content}
	for range 3 {
		enqueue(t, o, bot.Reply{Channel: "whatsapp", Chat: "971500000001", Attachments: []shakwa.Attachment{photo}})
		drain(t, o)
	}
	if wa.uploads != 1 || len(wa.got) != 3 || wa.got[2].File != "" || wa.got[2].ID != "whatsapp-up-1" {
		t.Errorf("uploaded %d times, sent %+v; want one upload, then its id", wa.uploads, wa.got)
	}
}

// TestOutboxFileGone: a file its channel can no longer hand out becomes a
// dead letter with the reason, and the chat's next message goes on.
func TestOutboxFileGone(t *testing.T) {
	store := storagetest.Store(t)
	fs, _ := files.Open(t.TempDir(), 1<<20)
	tg := &fileChannel{name: "telegram", files: fs, own: map[string]string{}}
	wa := &fileChannel{name: "whatsapp", files: fs, own: map[string]string{}}
	o := bot.NewOutbox(store, []bot.Channel{tg, wa}, time.Now, quiet)
	o.Files, o.FileMap = fs, store
	enqueue(t, o,
		bot.Reply{Channel: "whatsapp", Chat: "9715", Attachments: []shakwa.Attachment{{Kind: "document", ID: "gone", From: "telegram"}}},
		bot.Reply{Channel: "whatsapp", Chat: "9715", Text: "next"})
	drain(t, o)
	dead, _ := store.DeadLetters(context.Background(), 10)
	if len(dead) != 1 || !strings.Contains(dead[0].Reason, "fetch telegram file") {
		t.Errorf("dead letters %+v; want the file, with why", dead)
	}
	// Without a file store, files stay on their channel.
	bare := bot.NewOutbox(store, []bot.Channel{tg, wa}, time.Now, quiet)
	enqueue(t, bare, bot.Reply{Channel: "whatsapp", Chat: "9716", Attachments: []shakwa.Attachment{{Kind: "photo", ID: "x", From: "telegram"}}})
	drain(t, bare)
	dead, _ = store.DeadLetters(context.Background(), 10)
	if len(dead) != 2 || !strings.Contains(dead[0].Reason, "no file store") {
		t.Errorf("dead letters %+v; want the file refused for want of a file store", dead)
	}
}
