package whatsapp

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/bot/whatsapp/whatsapptest"
)

// TestImagesConverted: a GIF or a WebP, which Meta takes in no message as
// an image, goes to WhatsApp as a PNG image (a GIF its first frame), with
// its caption; sent again by the id of that upload, it goes as an image
// again, not as a document.
func TestImagesConverted(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		name, kind, from, mime string
		data                   []byte
		want                   color.Color
	}{
		{"gif document from telegram", "document", "telegram", "image/gif", twoFrameGIF(t, 40, 30), red},
		{"gif from the web", "photo", "web", "image/gif", twoFrameGIF(t, 40, 30), red},
		{"webp from the web", "photo", "web", "image/webp", solidWebP(40, 30, green), green},
		{"webp document from telegram", "document", "telegram", "image/webp", solidWebP(40, 30, green), green},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, _, err := h.files.Put(context.Background(), bytes.NewReader(tc.data), tc.mime)
			if err != nil {
				t.Fatal(err)
			}
			text := "📎 مرفق الطلب KRM-000001"
			a := shakwa.Attachment{Kind: tc.kind, ID: "tg-or-web", File: id, From: tc.from, Mime: tc.mime, Name: "moving.x"}
			calls, sents, err := h.send(bot.Reply{Text: text, Lang: "ar", Attachments: []shakwa.Attachment{a}})
			if err != nil {
				t.Fatalf("a %s: %v; want it sent as an image", tc.mime, err)
			}
			var upload, msg *whatsapptest.Call
			for i := range calls {
				switch c := &calls[i]; c.Method {
				case "media":
					upload = c
				case "messages":
					msg = c
				}
			}
			if upload == nil || upload.Type != "image/png" || upload.Error != 0 {
				t.Fatalf("calls %v; want an upload of an image/png", calls)
			}
			if msg == nil || msg.Type != "image" || msg.Error != 0 || str(msg.Body, "image", "id") != upload.ID {
				t.Fatalf("calls %v; want the upload sent as an image", calls)
			}
			if got := bot.Undirected(str(msg.Body, "image", "caption")); got != text {
				t.Errorf("caption %q; want %q", got, text)
			}
			if len(sents) != 1 || sents[0].Uploads[id] != upload.ID {
				t.Errorf("sent %v; want the upload reported for the original file %s", sents, id)
			}
			data, _ := h.api.Media(upload.ID)
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("uploaded bytes: %v; want a PNG", err)
			}
			if b := img.Bounds(); b.Dx() != 40 || b.Dy() != 30 {
				t.Errorf("PNG of %v; want 40×30", b)
			}
			if got := color.NRGBAModel.Convert(img.At(5, 5)); got != color.NRGBAModel.Convert(tc.want) {
				t.Errorf("PNG pixel %v; want %v (the first frame)", got, tc.want)
			}

			// Sent again, as the outbox does while the upload's id lives
			// (resolveFiles: by that id, with no file).
			again := shakwa.Attachment{Kind: tc.kind, ID: upload.ID, From: Name, Mime: tc.mime, Size: int64(len(tc.data))}
			calls, _, err = h.send(bot.Reply{Attachments: []shakwa.Attachment{again}})
			if err != nil || len(calls) != 1 || calls[0].Type != "image" || calls[0].Error != 0 {
				t.Errorf("sent again by its media id: %v, %v; want one image message", calls, err)
			}
		})
	}
}

// TestUnconvertedByMetaID: a GIF a person sent on WhatsApp as a document,
// whose bytes the store no longer has, goes back by Meta's id for it as
// the document it came as: unconverted, it is no image.
func TestUnconvertedByMetaID(t *testing.T) {
	h := newHarness(t)
	h.api.AddMedia("wa-gif", twoFrameGIF(t, 4, 4), "image/gif")
	gone := shakwa.Attachment{Kind: "document", ID: "wa-gif", From: Name, Mime: "image/gif", Name: "moving.gif",
		File: strings.Repeat("ab", 32)} // not in the store
	calls, _, err := h.send(bot.Reply{Attachments: []shakwa.Attachment{gone}})
	if err != nil || len(calls) != 1 || calls[0].Type != "document" || str(calls[0].Body, "document", "id") != "wa-gif" {
		t.Errorf("a whatsapp GIF the store no longer has: %v, %v; want it sent by its id as a document", calls, err)
	}
}

// TestToImage: a PNG over the limit goes as a JPEG within it; an image
// over the limit even so, of too many pixels, or not an image of its type
// is refused for good (shakwa.ErrInvalid: a dead letter, and the ticket's
// holder told).
func TestToImage(t *testing.T) {
	// A grey gradient with a little noise: large as a paletted PNG, small
	// as a JPEG, as a photo is.
	r := rand.New(rand.NewPCG(1, 2))
	pal := make(color.Palette, 256)
	for i := range pal {
		pal[i] = color.Gray{uint8(i)}
	}
	noisy := image.NewPaletted(image.Rect(0, 0, 200, 200), pal)
	for y := range 200 {
		for x := range 200 {
			noisy.SetColorIndex(x, y, uint8(20+(x+y)/2+r.IntN(5)-2))
		}
	}
	var photo, asPNG bytes.Buffer
	if err := gif.Encode(&photo, noisy, nil); err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(&asPNG, noisy); err != nil {
		t.Fatal(err)
	}
	huge := new(bytes.Buffer) // a GIF that says it is 5000×5000
	if err := gif.EncodeAll(huge, &gif.GIF{Image: []*image.Paletted{image.NewPaletted(image.Rect(0, 0, 1, 1), pal)},
		Delay: []int{0}, Config: image.Config{ColorModel: pal, Width: 5000, Height: 5000}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, mime string
		data       []byte
		limit      int64
		want       string // "" refused
	}{
		{"png within the limit", "image/gif", photo.Bytes(), int64(asPNG.Len()), "image/png"},
		{"png over the limit", "image/gif", photo.Bytes(), int64(asPNG.Len()) - 1, "image/jpeg"},
		{"over the limit as a jpeg too", "image/gif", photo.Bytes(), 500, ""},
		{"too many pixels", "image/gif", huge.Bytes(), 5 << 20, ""},
		{"not a gif", "image/gif", []byte("GIF89a but no more"), 5 << 20, ""},
		{"not a webp", "image/webp", []byte("RIFF\x04\x00\x00\x00WEBP"), 5 << 20, ""},
		{"a type not converted", "image/bmp", []byte("BM"), 5 << 20, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, got, err := toImage(tc.data, tc.mime, tc.limit)
			if tc.want == "" {
				if !errors.Is(err, shakwa.ErrInvalid) || !errors.Is(err, bot.ErrNotTaken) {
					t.Errorf("toImage: %q, %v; want an error wrapping ErrInvalid and ErrNotTaken", got, err)
				}
				return
			}
			if err != nil || got != tc.want || int64(len(data)) > tc.limit {
				t.Fatalf("toImage: %d bytes of %q, %v; want %s within %d bytes", len(data), got, err, tc.want, tc.limit)
			}
			decode := map[string]func([]byte) (image.Image, error){
				"image/png":  func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) },
				"image/jpeg": func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) },
			}[got]
			if img, err := decode(data); err != nil || img.Bounds() != noisy.Bounds() {
				t.Errorf("decoded: %v, %v; want an image of %v", img, err, noisy.Bounds())
			}
		})
	}
}
