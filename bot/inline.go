package bot

import "context"

// InlineAnswer is where a channel that can answer a button press in the
// response to the platform's own request (Telegram takes one method call
// as the answer to its webhook call) receives the Notice for the press
// instead of the outbox: it reaches the person a round trip sooner, and
// costs no send. The platform does not say whether it took it, so only
// the press's answer goes this way: if it is lost, the spinner stops on
// its own.
type InlineAnswer struct {
	reply Reply
	ok    bool
}

type inlineKey struct{}

// WithInlineAnswer returns ctx with a place for the answer to the press
// being delivered in it.
func WithInlineAnswer(ctx context.Context) (context.Context, *InlineAnswer) {
	a := &InlineAnswer{}
	return context.WithValue(ctx, inlineKey{}, a), a
}

// Reply returns the answer taken, marked for its language (see
// Directed), if the press got one.
func (a *InlineAnswer) Reply() (Reply, bool) { return a.reply, a.ok }

// takeInline moves the answer to m's press from rs to ctx's InlineAnswer,
// when ctx has one.
func takeInline(ctx context.Context, m *Message, rs []Reply) []Reply {
	a, _ := ctx.Value(inlineKey{}).(*InlineAnswer)
	if a == nil || m.ButtonToken == "" {
		return rs
	}
	for i, r := range rs {
		if r.Notice && r.ButtonToken == m.ButtonToken && r.Channel == m.Channel {
			a.reply, a.ok = directed(r), true
			return append(rs[:i:i], rs[i+1:]...)
		}
	}
	return rs
}
