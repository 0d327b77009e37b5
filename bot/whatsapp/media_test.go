package whatsapp

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/bot/whatsapp/whatsapptest"
)

var (
	red   = color.RGBA{0xd0, 0x20, 0x20, 0xff}
	blue  = color.RGBA{0x20, 0x20, 0xd0, 0xff}
	green = color.NRGBA{0x20, 0xa0, 0x40, 0xff}
)

// twoFrameGIF is an animated GIF of w×h pixels: red, then blue.
func twoFrameGIF(t *testing.T, w, h int) []byte {
	t.Helper()
	pal := color.Palette{red, blue}
	a := &gif.GIF{Delay: []int{50, 50}}
	for i := range 2 {
		frame := image.NewPaletted(image.Rect(0, 0, w, h), pal)
		for p := range frame.Pix {
			frame.Pix[p] = uint8(i)
		}
		a.Image = append(a.Image, frame)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, a); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// solidWebP is a lossless WebP (VP8L) of w×h pixels of c: five prefix
// codes of one symbol each, so that every pixel takes no bits.
func solidWebP(w, h int, c color.NRGBA) []byte {
	var bits []byte
	var acc, n uint
	put := func(v, width uint) { // least significant bit first
		acc |= v << n
		for n += width; n >= 8; n -= 8 {
			bits = append(bits, byte(acc))
			acc >>= 8
		}
	}
	put(uint(w-1), 14)
	put(uint(h-1), 14)
	put(0, 1) // alpha unused
	put(0, 3) // version
	put(0, 1) // no transform
	put(0, 1) // no colour cache
	put(0, 1) // no meta prefix codes
	for _, v := range []uint8{c.G, c.R, c.B, c.A} {
		put(1, 1) // simple code
		put(0, 1) // of one symbol
		put(1, 1) // of 8 bits
		put(uint(v), 8)
	}
	put(1, 1) // distance: simple code of one symbol, 0, of 1 bit
	put(0, 1)
	put(0, 1)
	put(0, 1)
	if n > 0 {
		bits = append(bits, byte(acc))
	}
	chunk := append([]byte{0x2f}, bits...)
	if len(chunk)%2 == 1 {
		chunk = append(chunk, 0)
	}
	out := []byte("RIFF")
	out = binary.LittleEndian.AppendUint32(out, uint32(4+8+len(chunk)))
	out = append(out, "WEBPVP8L"...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(chunk)-len(chunk)%2))
	return append(out, chunk...)
}

// TestServerMediaTypes: the fake refuses what Meta refuses: a GIF upload,
// and an image message carrying a WebP (a sticker only).
func TestServerMediaTypes(t *testing.T) {
	h := newHarness(t)
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("messaging_product", "whatsapp")
	w.WriteField("type", "image/gif")
	f, _ := w.CreateFormFile("file", "moving.gif")
	f.Write(twoFrameGIF(t, 4, 4))
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, h.api.URL()+"/"+testPhoneID+"/media", &body)
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a GIF upload: status %d; want 400", resp.StatusCode)
	}

	h.api.AddMedia("wa-webp", solidWebP(8, 8, green), "image/webp")
	for _, tc := range []struct {
		kind, mime, typ string
		code            int
	}{
		{"photo", "image/png", "image", 131053}, // a WebP said to be a PNG: an image Meta refuses
		{"document", "application/pdf", "document", 0},
	} {
		a := shakwa.Attachment{Kind: tc.kind, ID: "wa-webp", From: Name, Mime: tc.mime}
		_, err := h.ch.Send(context.Background(), bot.Reply{Channel: Name, Chat: citizen, Attachments: []shakwa.Attachment{a}}, "")
		calls := h.api.Calls(whatsapptest.Match{})
		last := calls[len(calls)-1]
		if last.Type != tc.typ || last.Error != tc.code || (err == nil) != (tc.code == 0) {
			t.Errorf("a WebP by id as a %s: %v, %v; want a %s message, error %d", tc.kind, last, err, tc.typ, tc.code)
		}
	}
}
