package whatsapp

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/shakwa/shakwa/bot/whatsapp/whatsapptest"
)

func TestVerify(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		name, mode, token string
		want              int
	}{
		{"right token", "subscribe", testVerify, 200},
		{"wrong token", "subscribe", "guess", 403},
		{"token one byte longer", "subscribe", testVerify + "x", 403},
		{"no token", "subscribe", "", 403},
		{"other mode", "unsubscribe", testVerify, 403},
	} {
		q := url.Values{"hub.mode": {tc.mode}, "hub.verify_token": {tc.token}, "hub.challenge": {"1158201444"}}
		resp, err := http.Get(h.hook.URL + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || tc.want == 200 && string(body) != "1158201444" {
			t.Errorf("%s: got %d %q; want %d (and the challenge on 200)", tc.name, resp.StatusCode, body, tc.want)
		}
	}
}

// TestSignature: a notification whose signature is missing or is not that
// of its raw bytes is refused with 401 and changes nothing.
func TestSignature(t *testing.T) {
	h := newHarness(t)
	body := whatsapptest.Envelope(testPhoneID, whatsapptest.Inbound(citizen, "Salem",
		whatsapptest.Text(citizen, "wamid.sig1", t0, "مرحبا — hello")))
	right := whatsapptest.Sign(body, testSecret)
	flipped := bytes.Clone(body)
	flipped[len(flipped)/2] ^= 0x01
	var v any
	json.Unmarshal(body, &v)
	reserialised, _ := json.MarshalIndent(v, "", " ")
	for _, tc := range []struct {
		name string
		body []byte
		sig  string
	}{
		{"missing", body, ""},
		{"wrong secret", body, whatsapptest.Sign(body, "other secret")},
		{"not hex", body, "sha256=zz"},
		{"no prefix", body, strings.TrimPrefix(right, "sha256=")},
		{"sha1 form", body, "sha1=" + strings.TrimPrefix(right, "sha256=")[:40]},
		{"one byte of the body changed", flipped, right},
		{"body re-serialised", reserialised, right},
	} {
		if got := h.post(tc.body, tc.sig); got != http.StatusUnauthorized {
			t.Errorf("%s: got %d; want 401", tc.name, got)
		}
	}
	if n := len(h.got.list()); n != 0 {
		t.Fatalf("%d messages delivered from refused notifications; want none", n)
	}
	if got := h.post(body, right); got != 200 {
		t.Errorf("signed rightly: got %d; want 200", got)
	}
	if ms := h.got.list(); len(ms) != 1 || ms[0].Text != "مرحبا — hello" {
		t.Errorf("delivered %v; want the text once", ms)
	}
}

func TestWebhookBodies(t *testing.T) {
	h := newHarness(t)
	big := bytes.Repeat([]byte("x"), maxNotification+1)
	if got := h.post(big, whatsapptest.Sign(big, testSecret)); got != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over 4 MB: got %d; want 413", got)
	}
	for _, body := range [][]byte{[]byte("{not json"), []byte(`{"object":"page","entry":[]}`)} {
		if got := h.post(body, whatsapptest.Sign(body, testSecret)); got != http.StatusBadRequest {
			t.Errorf("%s: got %d; want 400", body, got)
		}
	}
	req, _ := http.NewRequest("PUT", h.hook.URL, nil)
	resp, _ := http.DefaultClient.Do(req)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("PUT: got %d; want 405", resp.StatusCode)
	}
	// Another business number's notification is none of ours.
	body := whatsapptest.Envelope("999", whatsapptest.Inbound(citizen, "x", whatsapptest.Text(citizen, "wamid.o", t0, "hi")))
	if got := h.post(body, whatsapptest.Sign(body, testSecret)); got != 200 || len(h.got.list()) != 0 {
		t.Errorf("another number: got %d and %d messages; want 200 and none", got, len(h.got.list()))
	}
}

// TestBatches: one notification with several changes and messages is
// delivered in order; if one cannot be made safe the answer is 500, and
// when Meta sends it all again, what was delivered is dropped downstream
// as a copy (same ids).
func TestBatches(t *testing.T) {
	h := newHarness(t)
	other := "971509999999"
	h.api.Inbound(other, t0)
	body := whatsapptest.Envelope(testPhoneID,
		whatsapptest.Inbound(citizen, "Salem",
			whatsapptest.Text(citizen, "wamid.b1", t0, "one"),
			whatsapptest.Text(citizen, "wamid.b2", t0, "two")),
		whatsapptest.Inbound(other, "Sara", whatsapptest.Text(other, "wamid.b3", t0, "three")),
		whatsapptest.Statuses(whatsapptest.Status("wamid.out1", "delivered", citizen, t0, 0, "")))
	if got := h.post(body, whatsapptest.Sign(body, testSecret)); got != 200 {
		t.Fatalf("got %d", got)
	}
	var texts []string
	for _, m := range h.got.list() {
		texts = append(texts, m.Chat+":"+m.Text+":"+m.ID)
	}
	want := []string{citizen + ":one:wa:wamid.b1", citizen + ":two:wa:wamid.b2", other + ":three:wa:wamid.b3"}
	if strings.Join(texts, " ") != strings.Join(want, " ") {
		t.Errorf("delivered %v; want %v", texts, want)
	}
	if len(h.status) != 1 || h.status[0] != "wamid.out1 delivered" {
		t.Errorf("statuses %v; want the delivered report", h.status)
	}
	if len(h.out.wrote) != 3 || h.out.wrote[0] != "whatsapp:"+citizen {
		t.Errorf("windows opened %v; want one per message, before it is delivered", h.out.wrote)
	}
	h.got.fail = errors.New("redis down")
	if got := h.post(body, whatsapptest.Sign(body, testSecret)); got != http.StatusInternalServerError {
		t.Errorf("delivery failing: got %d; want 500 so that Meta sends it again", got)
	}
}
