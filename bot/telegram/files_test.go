package telegram

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/bot/telegram/telegramtest"
	"github.com/shakwa/shakwa/files"
)

// TestSendUploadsOtherChannelsFiles: a file that came from another channel
// is uploaded from the file store, as a multipart upload, and Telegram's
// new file id is reported for the outbox to remember.
func TestSendUploadsOtherChannelsFiles(t *testing.T) {
	f := telegramtest.NewServer(t, testToken)
	fs, err := files.Open(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	png := []byte("\x89PNG\r\n\x1a\n a web citizen's photo")
	pdf := []byte("%PDF-1.4 a receipt")
	photoID, _, _ := fs.Put(context.Background(), bytes.NewReader(png), "image/png")
	pdfID, _, _ := fs.Put(context.Background(), bytes.NewReader(pdf), "application/pdf")
	c := newTestChannel(t, f, Config{Files: fs}, nil)
	sent, err := c.Send(context.Background(), bot.Reply{Chat: "111", Attachments: []shakwa.Attachment{
		{Kind: "photo", ID: photoID, From: "web", File: photoID, Mime: "image/png", Size: int64(len(png))},
		{Kind: "document", ID: "wamid-media-1", From: "whatsapp", File: pdfID, Name: "إيصال.pdf"},
		{Kind: "photo", ID: "AgAD-native", From: "telegram"},
	}}, "")
	if err != nil {
		t.Fatal(err)
	}
	photo, doc := f.Calls("sendPhoto"), f.Calls("sendDocument")
	if len(photo) != 2 || len(doc) != 1 {
		t.Fatalf("calls: %d sendPhoto, %d sendDocument; want 2 and 1", len(photo), len(doc))
	}
	if !bytes.Equal(photo[0].Uploads["photo"], png) || !strings.HasPrefix(photo[0].Fields["photo"], "attach:photo") {
		t.Errorf("web photo: fields %v; want the bytes uploaded", photo[0].Fields)
	}
	if !bytes.Equal(doc[0].Uploads["document"], pdf) || photo[0].Fields["photo"] == "" ||
		doc[0].Fields["document"] != "attach:إيصال.pdf" {
		t.Errorf("whatsapp document: fields %v; want the bytes uploaded under its name", doc[0].Fields)
	}
	if photo[1].Fields["photo"] != "AgAD-native" || photo[1].Uploads != nil {
		t.Errorf("telegram's own photo: %v; want it by file id, no upload", photo[1].Fields)
	}
	if len(sent.Uploads) != 2 || sent.Uploads[photoID] == "" || sent.Uploads[pdfID] == "" {
		t.Errorf("Sent.Uploads %v; want Telegram's ids of both uploads", sent.Uploads)
	}
	// What was uploaded can be fetched back by its new id.
	rc, _, err := c.Fetch(context.Background(), sent.Uploads[pdfID])
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, pdf) {
		t.Errorf("Fetch of the uploaded document: %q", got)
	}
	// A file from elsewhere with no bytes cannot be sent: permanent.
	_, err = c.Send(context.Background(), bot.Reply{Chat: "111", Attachments: []shakwa.Attachment{
		{Kind: "photo", ID: "x", From: "web"}}}, "")
	var re *bot.RetryError
	if err == nil || errors.As(err, &re) {
		t.Errorf("a foreign file with no bytes: %v; want a permanent error", err)
	}
}

// TestFetch: a file a person sent on Telegram is fetched with getFile and
// its file URL; Telegram refuses bots files over 20 MB, and unknown ids.
func TestFetch(t *testing.T) {
	f := telegramtest.NewServer(t, testToken)
	f.AddFile("AgAD-voice", []byte("OggS voice"), "voice/file_7.oga", false)
	f.AddFile("BQAD-huge", nil, "documents/file_8.pdf", true)
	c := newTestChannel(t, f, Config{}, nil)
	rc, _, err := c.Fetch(context.Background(), "AgAD-voice")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	if string(data) != "OggS voice" {
		t.Errorf("Fetch = %q", data)
	}
	for id, want := range map[string]error{"BQAD-huge": shakwa.ErrInvalid, "nope": shakwa.ErrNotFound} {
		_, _, err := c.Fetch(context.Background(), id)
		if !errors.Is(err, want) || (want == shakwa.ErrInvalid) != errors.Is(err, bot.ErrNotTaken) {
			t.Errorf("Fetch(%s): %v; want %v (a file too big to pass on: bot.ErrNotTaken too)", id, err, want)
		}
		if err != nil && strings.Contains(err.Error(), testToken) {
			t.Errorf("Fetch(%s) error shows the token: %v", id, err)
		}
	}
}
