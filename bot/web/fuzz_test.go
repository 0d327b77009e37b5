package web

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseSend checks that parseSend never panics and that what it
// accepts is what the rest of the channel relies on.
func FuzzParseSend(f *testing.F) {
	for _, seed := range []string{
		`{"id":"c1","text":"لدي شكوى"}`,
		`{"id":"c2","button":"cat:visa","lang":"en"}`,
		`{"id":"c3","phone":"+971 ٥٠ ١٢٣ ٤٥٦٧"}`,
		`{"id":"c4","text":"x","as":"111","chat":"-1001"}`,
		`{"id":"a","text":"x","button":"y"}`,
		`{"id":"a b","text":"x"}`,
		`{"id":"a","text":"x"}{}`,
		`{"id":"a","text":"\u0000\ud800"}`,
		`[]`, `null`, `{}`, `"`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseSend(body)
		if err != nil {
			return
		}
		if !validClientID(req.ID) {
			t.Errorf("accepted id %q", req.ID)
		}
		given := 0
		for _, v := range []string{strings.TrimSpace(req.Text), req.Button, req.Phone} {
			if v != "" {
				given++
			}
		}
		if given != 1 {
			t.Errorf("accepted %+v: want exactly one of text, button, phone", req)
		}
		if len(req.Button) > maxButton || len(req.Phone) > maxPhone || len(req.As) > maxName || len(req.Chat) > maxName || !validLang(req.Lang) {
			t.Errorf("accepted %+v: over a limit", req)
		}
		if !utf8.ValidString(req.Text) {
			t.Errorf("accepted text that is not UTF-8: %q", req.Text)
		}
		// What is accepted survives a round trip.
		b, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseSend(b)
		if err != nil || again != req {
			t.Errorf("round trip of %+v: got %+v, %v", req, again, err)
		}
	})
}
