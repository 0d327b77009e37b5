package whatsapp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/bot/whatsapp/whatsapptest"
)

// fakeLine is an in-memory Line with the semantics of package storage's
// lines (which its suite checks on real Redis): a line holding anything
// has its job; the job goes as the line empties.
type fakeLine struct {
	mu    sync.Mutex
	lines map[string][][]byte
	jobs  map[string]*fakeJob
	fail  error // QueueLine fails while set
}

type fakeJob struct {
	due, orig time.Time
	claimed   bool
	tries     int
}

func newFakeLine() *fakeLine {
	return &fakeLine{lines: map[string][][]byte{}, jobs: map[string]*fakeJob{}}
}

func (f *fakeLine) QueueLine(_ context.Context, kind, sender string, item []byte, wait bool, now time.Time, max int) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return false, f.fail
	}
	name := "line-" + sender
	l := f.lines[name]
	if len(l) == 0 && !wait {
		return false, nil
	}
	if len(l) >= max {
		return false, errors.New("line full")
	}
	f.lines[name] = append(l, item)
	if f.jobs[name] == nil {
		f.jobs[name] = &fakeJob{due: now, orig: now}
	}
	return true, nil
}

func (f *fakeLine) LineHead(_ context.Context, _, line string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if l := f.lines[line]; len(l) > 0 {
		return l[0], nil
	}
	return nil, nil
}

func (f *fakeLine) PopLine(_ context.Context, _, line string, item []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.lines[line]
	if len(l) > 0 && item != nil && string(l[0]) == string(item) {
		l = l[1:]
		f.lines[line] = l
	}
	if len(l) == 0 {
		delete(f.jobs, line)
	}
	return len(l), nil
}

func (f *fakeLine) ClaimJobs(_ context.Context, _ string, now time.Time, lease time.Duration, limit int) ([]shakwa.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []shakwa.Job
	for key, j := range f.jobs {
		if len(out) == limit || j.due.After(now) {
			continue
		}
		j.claimed, j.due = true, now.Add(lease)
		out = append(out, shakwa.Job{Kind: LineKind, Key: key, Due: j.orig, Token: j.due.UnixMilli(), Attempts: j.tries})
	}
	return out, nil
}

// holds reports whether claim j still holds its job.
func (f *fakeLine) holds(j shakwa.Job) *fakeJob {
	if cur := f.jobs[j.Key]; cur != nil && cur.claimed && cur.due.UnixMilli() == j.Token {
		return cur
	}
	return nil
}

func (f *fakeLine) DoneJob(_ context.Context, j shakwa.Job, next time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cur := f.holds(j)
	switch {
	case cur == nil:
		return false, nil
	case next.IsZero():
		delete(f.jobs, j.Key)
	default:
		*cur = fakeJob{due: next, orig: next}
	}
	return true, nil
}

func (f *fakeLine) RetryJob(_ context.Context, j shakwa.Job, at time.Time) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cur := f.holds(j)
	if cur == nil {
		return 0, nil
	}
	cur.claimed, cur.due = false, at
	cur.tries++
	return cur.tries, nil
}

// pending returns how many items wait in lines, and how many jobs there are.
func (f *fakeLine) pending() (items, jobs int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range f.lines {
		items += len(l)
	}
	return items, len(f.jobs)
}

// lineHarness is a harness whose channel has a Line and a clock of its own.
func lineHarness(t *testing.T) (*harness, *fakeLine, *clock) {
	line, clk := newFakeLine(), &clock{now: time.Now()}
	h := newHarness(t, func(c *Config) { c.Line, c.Now = line, clk.Now })
	return h, line, clk
}

// waitFor waits until n messages are delivered, or fails the test.
func (h *harness) waitFor(n int) []*bot.Message {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ms := h.got.list()
		if len(ms) >= n || time.Now().After(deadline) {
			if len(ms) != n {
				h.t.Fatalf("delivered %d messages %v; want %d", len(ms), ms, n)
			}
			return ms
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readIDs waits until at least n+1 messages are marked as read, and
// returns their ids, sorted.
func (h *harness) readIDs(n int) string {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var ids []string
		for _, c := range h.api.Calls(whatsapptest.Match{Method: "read"}) {
			ids = append(ids, c.ID)
		}
		if len(ids) > n || time.Now().After(deadline) {
			slices.Sort(ids)
			return strings.Join(ids, " ")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLineAnswersBeforeMedia: with a Line, the webhook answers a photo
// before its download ends; what its sender sends next waits behind it,
// while another person's message goes at once; then the photo, with its
// bytes kept, and the text behind it are delivered in the order they
// came, each marked as read, and the line is left empty with no job.
func TestLineAnswersBeforeMedia(t *testing.T) {
	h, line, _ := lineHarness(t)
	h.run()
	const other = "971509999999"
	h.api.Inbound(other, time.Now())
	h.api.AddMedia("m-photo", []byte("photo bytes"), "image/jpeg")
	h.api.Delay("media-download", 2*time.Second)
	h.notify(whatsapptest.Inbound(citizen, "سالم", whatsapptest.Media(citizen, "wamid.p1", t0, "image", "m-photo", "image/jpeg",
		map[string]any{"caption": "الطابور طويل"})))
	h.notify(whatsapptest.Inbound(citizen, "سالم", whatsapptest.Text(citizen, "wamid.t2", t0.Add(time.Second), "تم")))
	if ms := h.got.list(); len(ms) != 0 {
		t.Fatalf("delivered %v as the webhook answered; want the photo still downloading, the text behind it", ms)
	}
	h.notify(whatsapptest.Inbound(other, "x", whatsapptest.Text(other, "wamid.o1", t0, "مرحبا")))
	if ms := h.got.list(); len(ms) != 1 || ms[0].Chat != other {
		t.Fatalf("delivered %v; want another person's text at once, not behind the photo", ms)
	}
	ms := h.waitFor(3)
	photo, text := ms[1], ms[2]
	if photo.ID != "wa:wamid.p1" || photo.Text != "الطابور طويل" || photo.From.Name != "سالم" || len(photo.Attachments) != 1 {
		t.Fatalf("second delivered %+v; want the photo with its caption, from its sender's name", photo)
	}
	a := photo.Attachments[0]
	rc, _, _, err := h.files.Open(context.Background(), a.File)
	if err != nil {
		t.Fatalf("the photo's bytes: %v", err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	if string(data) != "photo bytes" || a.Kind != "photo" || a.From != Name {
		t.Errorf("attachment %+v holds %q; want the photo's bytes", a, data)
	}
	if text.ID != "wa:wamid.t2" || text.Text != "تم" {
		t.Errorf("third delivered %+v; want the text, after the photo", text)
	}
	if got := h.readIDs(2); got != "wamid.o1 wamid.p1 wamid.t2" {
		t.Errorf("marked as read: %s; want all three", got)
	}
	if items, jobs := line.pending(); items != 0 || jobs != 0 {
		t.Errorf("%d items and %d jobs left; want the line drained and its job gone", items, jobs)
	}
	if strings.Count(strings.Join(h.out.written(), " "), "whatsapp:"+citizen) != 2 {
		t.Errorf("windows recorded %v; want the citizen's twice, as each message came", h.out.wrote)
	}
	if strings.Contains(h.logs.String(), citizen) {
		t.Errorf("the log has the number: %s", h.logs)
	}
}

// TestLineMediaLate: media Meta fails to hand out are tried again, the
// sender's later messages waiting behind; past linePatience the message
// goes without the file, marked unavailable, and the rest follow. A Line
// that fails has the webhook answer 500.
func TestLineMediaLate(t *testing.T) {
	h, line, clk := lineHarness(t)
	h.run()
	info := func(c whatsapptest.Call) bool { return c.Method == "media-info" }
	h.api.AddMedia("m-late", []byte("x"), "image/jpeg")
	h.api.Fail(info, 500, 2, "Service temporarily unavailable")
	h.api.Fail(info, 500, 2, "Service temporarily unavailable")
	h.notify(whatsapptest.Inbound(citizen, "x", whatsapptest.Media(citizen, "wamid.l1", t0, "image", "m-late", "image/jpeg",
		map[string]any{"caption": "صورة"})))
	h.api.Wait(t, whatsapptest.Match{Method: "media-info"}, 10*time.Second)
	h.notify(whatsapptest.Inbound(citizen, "x", whatsapptest.Text(citizen, "wamid.l2", t0.Add(time.Second), "بعدها")))
	time.Sleep(200 * time.Millisecond) // a drain that would go on wrongly does so by now
	if ms := h.got.list(); len(ms) != 0 {
		t.Fatalf("delivered %v after the download failed; want both waiting", ms)
	}
	clk.add(linePatience + time.Minute)
	h.notify(whatsapptest.Inbound(citizen, "x", whatsapptest.Text(citizen, "wamid.l3", t0.Add(2*time.Second), "وبعد")))
	ms := h.waitFor(3)
	if ms[0].ID != "wa:wamid.l1" || ms[0].Unsupported != "file_unavailable" || ms[0].Text != "صورة" || len(ms[0].Attachments) != 0 {
		t.Errorf("first delivered %+v; want the photo's message, its caption, marked unavailable", ms[0])
	}
	if ms[1].ID != "wa:wamid.l2" || ms[2].ID != "wa:wamid.l3" {
		t.Errorf("then %s, %s; want the texts in order", ms[1].ID, ms[2].ID)
	}
	if n := len(h.api.Calls(whatsapptest.Match{Method: "media-info"})); n != 2 {
		t.Errorf("media info asked %d times; want twice (once, then once more when late)", n)
	}

	line.mu.Lock()
	line.fail = errors.New("redis down")
	line.mu.Unlock()
	body := whatsapptest.Envelope(testPhoneID, whatsapptest.Inbound(citizen, "x",
		whatsapptest.Media(citizen, "wamid.l4", t0, "image", "m-late", "image/jpeg", nil)))
	if got := h.post(body, whatsapptest.Sign(body, testSecret)); got != http.StatusInternalServerError {
		t.Errorf("the line failing: %d; want 500, for Meta to send it again", got)
	}
	if len(h.got.list()) != 3 {
		t.Errorf("delivered %v; want nothing more", h.got.list())
	}
}

// TestLineStopMidDownload: a process stopped while it downloads gives the
// line up at once; another process sharing the Line delivers the message.
func TestLineStopMidDownload(t *testing.T) {
	h, line, clk := lineHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		h.ch.Run(ctx)
	}()
	h.api.AddMedia("m-stop", []byte("doc bytes"), "application/pdf")
	h.api.Delay("media-download", time.Hour)
	h.notify(whatsapptest.Inbound(citizen, "x", whatsapptest.Media(citizen, "wamid.s1", t0, "document", "m-stop", "application/pdf", nil)))
	// The download is recorded once answered: it is under way shortly
	// after the media's info is.
	h.api.Wait(t, whatsapptest.Match{Method: "media-info"}, 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	cancel()
	<-stopped
	h.api.Delay("media-download", 0)
	if ms := h.got.list(); len(ms) != 0 {
		t.Fatalf("delivered %v by the stopped process", ms)
	}

	other := &delivered{}
	ch, err := New(Config{Token: testToken, PhoneID: testPhoneID, AppSecret: testSecret, VerifyToken: testVerify,
		APIURL: h.api.URL(), Files: h.files, Pages: h.pages, Outbox: h.out, Line: line, Now: clk.Now}, other.deliver)
	if err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	go ch.Run(ctx2)
	deadline := time.Now().Add(20 * time.Second)
	for len(other.list()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if ms := other.list(); len(ms) != 1 || ms[0].ID != "wa:wamid.s1" || len(ms[0].Attachments) != 1 {
		t.Fatalf("the other process delivered %v; want the document, with its file", ms)
	}
}

// TestLineTokenRefused: media Meta will not hand out for a refused token
// are waited for past linePatience (nothing reaches the person meanwhile
// anyway), and go with their file once the token works.
func TestLineTokenRefused(t *testing.T) {
	h, _, clk := lineHarness(t)
	h.run()
	info := func(c whatsapptest.Call) bool { return c.Method == "media-info" }
	h.api.AddMedia("m-tok", []byte("tok bytes"), "image/jpeg")
	h.api.Fail(info, 401, 190, "Invalid OAuth access token")
	h.api.Fail(info, 401, 190, "Invalid OAuth access token")
	h.notify(whatsapptest.Inbound(citizen, "x", whatsapptest.Media(citizen, "wamid.k1", t0, "image", "m-tok", "image/jpeg", nil)))
	h.api.Wait(t, whatsapptest.Match{Method: "media-info"}, 10*time.Second)
	clk.add(linePatience + time.Minute)
	h.notify(whatsapptest.Inbound(citizen, "x", whatsapptest.Text(citizen, "wamid.k2", t0.Add(time.Second), "بعدها")))
	deadline := time.Now().Add(10 * time.Second)
	for len(h.api.Calls(whatsapptest.Match{Method: "media-info"})) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if ms := h.got.list(); len(ms) != 0 {
		t.Fatalf("delivered %v while the token is refused; want the photo, and the text behind it, waiting", ms)
	}
	clk.add(2 * time.Minute) // past the retry's wait
	h.notify(whatsapptest.Inbound(citizen, "x", whatsapptest.Text(citizen, "wamid.k3", t0.Add(2*time.Second), "وبعد")))
	ms := h.waitFor(3)
	if ms[0].ID != "wa:wamid.k1" || len(ms[0].Attachments) != 1 || ms[0].Unsupported != "" {
		t.Errorf("first delivered %+v; want the photo, with its file", ms[0])
	}
}
