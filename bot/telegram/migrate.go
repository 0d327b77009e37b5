package telegram

import (
	"errors"

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
