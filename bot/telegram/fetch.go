package telegram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"

	tgbot "github.com/go-telegram/bot"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
)

var _ bot.Fetcher = (*Channel)(nil)

// Fetch returns the bytes of the file Telegram knows as id (getFile, then
// its file URL), for a chat on another channel. Telegram hands bots files
// of up to 20 MB: a larger one is an error wrapping shakwa.ErrInvalid, an
// unknown id one wrapping shakwa.ErrNotFound; failures that may pass are
// *bot.RetryError. Errors never show the file URL: it holds the token.
func (c *Channel) Fetch(ctx context.Context, id string) (io.ReadCloser, string, error) {
	f, err := c.api.GetFile(ctx, &tgbot.GetFileParams{FileID: id})
	switch {
	case isBadRequest(err, "file is too big"):
		return nil, "", fmt.Errorf("telegram: getFile: over the 20 MB bots may fetch: %w", bot.ErrNotTaken)
	case isBadRequest(err, "invalid file_id", "wrong file_id", "file_id"):
		return nil, "", fmt.Errorf("telegram: getFile: %w", shakwa.ErrNotFound)
	case err != nil:
		return nil, "", fmt.Errorf("telegram: getFile: %w", classify(err))
	case f.FilePath == "":
		return nil, "", fmt.Errorf("telegram: getFile: no file path: %w", shakwa.ErrNotFound)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.api.FileDownloadLink(f), nil)
	if err != nil {
		return nil, "", errors.New("telegram: file URL: cannot build request")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop the URL: it holds the token
		}
		return nil, "", &bot.RetryError{Err: fmt.Errorf("telegram: download file: %w", err)}
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		resp.Body.Close()
		return nil, "", fmt.Errorf("telegram: download file: %w", shakwa.ErrNotFound)
	case resp.StatusCode != http.StatusOK:
		resp.Body.Close()
		return nil, "", &bot.RetryError{Err: fmt.Errorf("telegram: download file: http %d", resp.StatusCode)}
	}
	return resp.Body, mime.TypeByExtension(path.Ext(f.FilePath)), nil
}
