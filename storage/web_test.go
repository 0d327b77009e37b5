package storage_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/storage"
)

// mailLess reports whether stream id a comes before b.
func mailLess(t *testing.T, a, b string) bool {
	t.Helper()
	parse := func(id string) (uint64, uint64) {
		ms, seq, _ := strings.Cut(id, "-")
		m, err1 := strconv.ParseUint(ms, 10, 64)
		n, err2 := strconv.ParseUint(seq, 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("mail id %q is not MS-SEQ", id)
		}
		return m, n
	}
	am, an := parse(a)
	bm, bn := parse(b)
	return am < bm || am == bm && an < bn
}

// mailIDs lists the ids of ms.
func mailIDs(ms []storage.Mail) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func testMail(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	if got, err := s.MailSince(c, "web:a", "", 0); len(got) != 0 || err != nil {
		t.Errorf("MailSince of an empty mailbox = %v, %v; want none, nil", got, err)
	}
	data := [][]byte{[]byte("مرحبا"), {0, 1, 0xff}, {}}
	var ids []string
	for i, d := range data {
		id, err := s.MailAppend(c, "web:a", d, 100, time.Hour)
		if err != nil {
			t.Fatalf("MailAppend %d: %v", i, err)
		}
		if len(ids) > 0 && !mailLess(t, ids[len(ids)-1], id) {
			t.Errorf("MailAppend %d: id %s after %s; want increasing ids", i, id, ids[len(ids)-1])
		}
		ids = append(ids, id)
	}
	all, err := s.MailSince(c, "web:a", "", 0)
	if err != nil || fmt.Sprint(mailIDs(all)) != fmt.Sprint(ids) {
		t.Fatalf("MailSince all = %v, %v; want %v", mailIDs(all), err, ids)
	}
	for i, m := range all {
		if !bytes.Equal(m.Data, data[i]) {
			t.Errorf("mail %d data %q; want %q", i, m.Data, data[i])
		}
	}
	for _, tc := range []struct {
		after string
		limit int
		want  []string
	}{
		{"", 2, ids[:2]},
		{ids[0], 0, ids[1:]},
		{ids[0], 1, ids[1:2]},
		{ids[2], 0, nil},
		{"0-0", -1, ids},
		{"18446744073709551615-18446744073709551615", 0, nil},
	} {
		got, err := s.MailSince(c, "web:a", tc.after, tc.limit)
		if g, w := fmt.Sprint(mailIDs(got)), fmt.Sprint(orEmpty(tc.want)); g != w || err != nil {
			t.Errorf("MailSince(after %q, limit %d) = %v, %v; want %v, nil", tc.after, tc.limit, g, err, w)
		}
	}
	if got, _ := s.MailSince(c, "web:b", "", 0); len(got) != 0 {
		t.Errorf("MailSince of another chat = %v; want none", mailIDs(got))
	}
	for _, bad := range []string{"x", "1", "1-x", "-1", "1-", "+", "-", "(1-0", " 1-0", "1-2-3", "+1-0", "99999999999999999999-0"} {
		if _, err := s.MailSince(c, "web:a", bad, 0); !errors.Is(err, shakwa.ErrInvalid) {
			t.Errorf("MailSince(after %q): %s; want invalid", bad, errKind(err))
		}
	}
	// Dropping an entry leaves the others, in order; twice is no error.
	for range 2 {
		if err := s.MailDrop(c, "web:a", ids[1]); err != nil {
			t.Fatalf("MailDrop: %v", err)
		}
	}
	after, _ := s.MailSince(c, "web:a", "", 0)
	if want := append([]string{ids[0]}, ids[2:]...); !slices.Equal(mailIDs(after), want) {
		t.Errorf("after MailDrop: %v; want %v", mailIDs(after), want)
	}
	if err := s.MailDrop(c, "web:a", "x"); !errors.Is(err, shakwa.ErrInvalid) {
		t.Errorf("MailDrop(x): %s; want invalid", errKind(err))
	}
	for _, tc := range []struct {
		keep int
		ttl  time.Duration
	}{{0, time.Hour}, {-1, time.Hour}, {10, 0}, {10, -time.Second}} {
		if _, err := s.MailAppend(c, "web:a", []byte("x"), tc.keep, tc.ttl); !errors.Is(err, shakwa.ErrInvalid) {
			t.Errorf("MailAppend(keep %d, ttl %v): %s; want invalid", tc.keep, tc.ttl, errKind(err))
		}
	}
}

func orEmpty(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

// testMailPages reads a mailbox page by page, as the web chat polls it.
func testMailPages(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	var want []string
	for i := range 25 {
		id, err := s.MailAppend(c, "web:p", []byte(strconv.Itoa(i)), 100, time.Hour)
		if err != nil {
			t.Fatalf("MailAppend: %v", err)
		}
		want = append(want, id)
	}
	var got []string
	after := ""
	for range 10 {
		page, err := s.MailSince(c, "web:p", after, 4)
		if err != nil {
			t.Fatalf("MailSince(%q): %v", after, err)
		}
		if len(page) == 0 {
			break
		}
		for _, m := range page {
			if string(m.Data) != strconv.Itoa(len(got)) {
				t.Errorf("mail %s data %q; want %d", m.ID, m.Data, len(got))
			}
			got = append(got, m.ID)
		}
		after = page[len(page)-1].ID
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pages gave %v; want %v", got, want)
	}
}

// testMailTrim: the mailbox keeps at least its last keep entries, and not
// many more (Redis trims whole stream nodes, so how many more depends on
// its configuration).
func testMailTrim(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	const keep, n = 5, 300
	var ids []string
	for i := range n {
		id, err := s.MailAppend(c, "web:t", []byte(strconv.Itoa(i)), keep, time.Hour)
		if err != nil {
			t.Fatalf("MailAppend: %v", err)
		}
		ids = append(ids, id)
	}
	got, err := s.MailSince(c, "web:t", "", 0)
	if err != nil {
		t.Fatalf("MailSince: %v", err)
	}
	if len(got) < keep || len(got) >= n {
		t.Fatalf("mailbox holds %d entries; want at least %d and fewer than %d", len(got), keep, n)
	}
	if g, w := fmt.Sprint(mailIDs(got)), fmt.Sprint(ids[n-len(got):]); g != w {
		t.Errorf("mailbox holds %v; want the newest %d: %v", g, len(got), w)
	}
}

// testMailTTL: a mailbox expires ttl after its last append.
func testMailTTL(t *testing.T, open opener) {
	f := open(t)
	s, c := f.s, ctx(t)
	if _, err := s.MailAppend(c, "web:x", []byte("1"), 10, time.Hour); err != nil {
		t.Fatalf("MailAppend: %v", err)
	}
	keys := f.keys(t, "mail:*")
	if len(keys) != 1 {
		t.Fatalf("mailbox keys %v; want one", keys)
	}
	key := keys[0]
	if d := f.rdb.PTTL(c, key).Val(); d <= 59*time.Minute || d > time.Hour {
		t.Errorf("mailbox TTL %v after an append with ttl 1h; want about 1h", d)
	}
	if _, err := s.MailAppend(c, "web:x", []byte("2"), 10, 2*time.Hour); err != nil {
		t.Fatalf("MailAppend: %v", err)
	}
	if d := f.rdb.PTTL(c, key).Val(); d <= 119*time.Minute || d > 2*time.Hour {
		t.Errorf("mailbox TTL %v after an append with ttl 2h; want about 2h (each append sets it)", d)
	}
	if _, err := s.MailAppend(c, "web:y", []byte("1"), 10, 50*time.Millisecond); err != nil {
		t.Fatalf("MailAppend: %v", err)
	}
	time.Sleep(150 * time.Millisecond)
	if got, err := s.MailSince(c, "web:y", "", 0); len(got) != 0 || err != nil {
		t.Errorf("MailSince after the TTL = %v, %v; want none, nil", mailIDs(got), err)
	}
}

// testFileMap: where a file came from, and its id on each channel, with
// ids that expire.
func testFileMap(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	if got, err := s.FileContent(c, "telegram", "AgAD-1"); got != "" || err != nil {
		t.Errorf("FileContent before = %q, %v; want none", got, err)
	}
	if err := s.SetFileContent(c, "telegram", "AgAD-1", "c0ffee"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FileContent(c, "telegram", "AgAD-1"); got != "c0ffee" {
		t.Errorf("FileContent = %q; want c0ffee", got)
	}
	if got, _ := s.FileContent(c, "whatsapp", "AgAD-1"); got != "" {
		t.Errorf("FileContent on another channel = %q; want none", got)
	}
	now := time.UnixMilli(1_800_000_000_000)
	if err := s.SetFileOn(c, "c0ffee", "whatsapp", "wa-media-9", 30*24*time.Hour, now); err != nil {
		t.Fatal(err)
	}
	if err := s.SetFileOn(c, "c0ffee", "telegram", "AgAD-up", 0, now); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		channel string
		at      time.Time
		want    string
	}{
		{"whatsapp", now.Add(29 * 24 * time.Hour), "wa-media-9"},
		{"whatsapp", now.Add(30 * 24 * time.Hour), ""}, // expired
		{"telegram", now.Add(1000 * 24 * time.Hour), "AgAD-up"},
		{"web", now, ""},
	} {
		if got, err := s.FileOn(c, "c0ffee", tc.channel, tc.at); got != tc.want || err != nil {
			t.Errorf("FileOn(%s, %v) = %q, %v; want %q", tc.channel, tc.at.Sub(now), got, err, tc.want)
		}
	}
}
