package telegram

import (
	"strings"

	"github.com/shakwa/shakwa/bot"
)

var _ bot.Splitter = (*Channel)(nil)

// Split cuts r into the messages Telegram takes, for the outbox to send,
// pace and retry one by one: text longer than 4,096 UTF-16 units becomes
// several messages (cut as Send would), and each attachment goes alone
// after the text, but for one file with a short text, which goes as one
// captioned message. The part that carries r's buttons (the last text part,
// or the last file when there is no text) keeps its Ref and Edit; the
// others have Trail set and no keyboard. A long reply meant as an edit is
// sent anew: one message cannot hold it.
func (c *Channel) Split(r bot.Reply) []bot.Reply {
	if r.Notice {
		return []bot.Reply{r}
	}
	text := strings.TrimSpace(r.Text)
	texts := splitText(text, maxText)
	if len(texts) <= 1 && len(r.Attachments) == 0 || !r.Edit && captioned(r, text) {
		return []bot.Reply{r}
	}
	var parts []bot.Reply
	trail := func(p bot.Reply) bot.Reply {
		p.Trail, p.Buttons, p.AskContact, p.ContactLabel, p.Edit = true, nil, false, "", false
		return p
	}
	for i, text := range texts {
		p := r
		p.Text, p.Attachments = text, nil
		if len(texts) > 1 {
			p.Edit = false
		}
		if i < len(texts)-1 {
			p = trail(p)
		}
		parts = append(parts, p)
	}
	for i := range r.Attachments {
		p := r
		p.Text, p.Edit = "", false
		p.Attachments = r.Attachments[i : i+1]
		if len(texts) > 0 || i < len(r.Attachments)-1 {
			p = trail(p)
		}
		parts = append(parts, p)
	}
	return parts
}
