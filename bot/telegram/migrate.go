package telegram

import (
	"errors"
	"fmt"

	tgbot "github.com/go-telegram/bot"
)

// When a group becomes a supergroup (a setting changed, more than 200
// members) it gets a new chat id, and the old one takes no more messages:
// Telegram answers 400 with parameters.migrate_to_chat_id. The message is
// sent again to the new id, and later sends of this process go there
// directly, but the configuration still names the old one: that is for a
// person to change, and the ERROR line says so.

// sendTo calls send with chat, or the supergroup it is known to have
// become, and once again with the new id when Telegram answers that it
// has just become one.
func (c *Channel) sendTo(chat int64, send func(chat int64) error) error {
	chat = c.chatOf(chat)
	err := send(chat)
	c.tokenSays(err)
	var moved *tgbot.MigrateError
	if !errors.As(err, &moved) || moved.MigrateToChatID == 0 || int64(moved.MigrateToChatID) == chat {
		return err
	}
	to := int64(moved.MigrateToChatID)
	c.moved(chat, to)
	return send(to)
}

// chatOf is the chat to send to for chat: the supergroup a group became,
// or chat itself.
func (c *Channel) chatOf(chat int64) int64 {
	if to, ok := c.migrated.Load(chat); ok {
		return to.(int64)
	}
	return chat
}

// moved records that group from is now the supergroup to, and says so
// once per process.
func (c *Channel) moved(from, to int64) {
	if prev, known := c.migrated.Swap(from, to); known && prev.(int64) == to {
		return
	}
	c.log.Error("telegram group moved to a new chat id (it became a supergroup): update staff_chat in the configuration from the old id to the new one; until then this process sends to the new id",
		"from", from, "to", to)
}

// noteMigration hears the service messages of a group becoming a
// supergroup: one in the old group with migrate_to_chat_id, one in the new
// with migrate_from_chat_id. They carry nothing for the bot, but they are
// the first sign of the move.
func (c *Channel) noteMigration(u *update) {
	if u.Message == nil {
		return
	}
	switch m := u.Message; {
	case m.MigrateToChatID != 0 && m.MigrateToChatID != m.Chat.ID:
		c.moved(m.Chat.ID, m.MigrateToChatID)
	case m.MigrateFromChatID != 0 && m.MigrateFromChatID != m.Chat.ID:
		c.moved(m.MigrateFromChatID, m.Chat.ID)
	}
}

// tokenSays records what a call's answer says of the bot's token: refused
// (401), the channel is degraded until Telegram takes a call again; said
// in the log once each way. Polling hears the same from getUpdates
// (pollHeld).
func (c *Channel) tokenSays(err error) {
	if errors.Is(err, tgbot.ErrorUnauthorized) {
		c.tokenRefused(err)
		return
	}
	var tooMany *tgbot.TooManyRequestsError
	// Taken, or refused by the Bot API for the call itself: it read the
	// token. A failure on the way says nothing of it, nor does 404: it is
	// also the answer to a token that names no bot, which polling takes
	// as a refusal (the two would undo each other).
	answered := err == nil || errors.As(err, &tooMany) || errors.Is(err, tgbot.ErrorBadRequest) ||
		errors.Is(err, tgbot.ErrorForbidden) || errors.Is(err, tgbot.ErrorConflict)
	if answered {
		c.tokenTaken()
	}
}

// tokenRefused marks the channel degraded by err, Telegram's refusal of
// the token, and logs it when the channel was not degraded already.
func (c *Channel) tokenRefused(err error) {
	refused := fmt.Errorf("telegram: bot token refused: %w", err)
	if c.degraded.Swap(&refused) == nil {
		c.log.Error("telegram bot token refused; renew TELEGRAM_BOT_TOKEN", "err", err)
	}
}

// tokenTaken clears what tokenRefused marked, and logs it when there was
// something to clear.
func (c *Channel) tokenTaken() {
	if c.degraded.Swap(nil) != nil {
		c.log.Info("telegram bot token accepted again")
	}
}

// Degraded returns why the channel cannot send or poll (Telegram refused
// the bot's token: 401, or 404 to getUpdates), or nil; a later call
// Telegram takes clears it.
func (c *Channel) Degraded() error {
	if err := c.degraded.Load(); err != nil {
		return *err
	}
	return nil
}
