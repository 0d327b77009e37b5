package whatsapp

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/webp"

	"github.com/shakwa/shakwa/bot"
)

// converted are the image types people send that Meta takes in no
// message as an image (a WebP only as a sticker, a GIF not at all): they
// go as an image once converted by toImage.
var converted = map[string]struct {
	decode       func(io.Reader) (image.Image, error)
	decodeConfig func(io.Reader) (image.Config, error)
}{
	"image/gif":  {gif.Decode, gif.DecodeConfig}, // its first frame only
	"image/webp": {webp.Decode, webp.DecodeConfig},
}

// maxPixels bounds the images toImage decodes (4096 × 4096, at most 64 MiB
// once decoded): more than a phone's photo, less than a small file can
// claim to be.
const maxPixels = 4096 * 4096

// toImage converts data, an image of a converted type, to one Meta takes
// as an image of up to limit bytes: a PNG, or a JPEG when the PNG is over
// limit (a photo saved as WebP; what is transparent turns white). An
// image that cannot be decoded (an animated WebP), of more than maxPixels,
// or over limit even as a JPEG is an error wrapping bot.ErrNotTaken.
func toImage(data []byte, mimeType string, limit int64) ([]byte, string, error) {
	codec, ok := converted[mimeType]
	if !ok {
		return nil, "", fmt.Errorf("convert %s: not an image we convert: %w", mimeType, bot.ErrNotTaken)
	}
	cfg, err := codec.decodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("convert %s: %w: %w", mimeType, bot.ErrNotTaken, err)
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return nil, "", fmt.Errorf("convert %s of %d×%d pixels: too large: %w", mimeType, cfg.Width, cfg.Height, bot.ErrNotTaken)
	}
	img, err := codec.decode(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("convert %s: %w: %w", mimeType, bot.ErrNotTaken, err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, "", fmt.Errorf("convert %s to png: %w: %w", mimeType, bot.ErrNotTaken, err)
	}
	if int64(buf.Len()) <= limit {
		return buf.Bytes(), "image/png", nil
	}
	asPNG := buf.Len()
	buf.Reset()
	if err := jpeg.Encode(&buf, onWhite(img), &jpeg.Options{Quality: 85}); err != nil {
		return nil, "", fmt.Errorf("convert %s to jpeg: %w: %w", mimeType, bot.ErrNotTaken, err)
	}
	if int64(buf.Len()) <= limit {
		return buf.Bytes(), "image/jpeg", nil
	}
	return nil, "", fmt.Errorf("convert %s: %d bytes as a PNG, %d as a JPEG, over %d: %w",
		mimeType, asPNG, buf.Len(), limit, bot.ErrNotTaken)
}

// onWhite is img drawn over white, for a JPEG, which has no transparency.
func onWhite(img image.Image) image.Image {
	out := image.NewRGBA(img.Bounds())
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Over)
	return out
}
