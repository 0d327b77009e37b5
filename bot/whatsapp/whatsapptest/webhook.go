package whatsapptest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
)

// Sign is the X-Hub-Signature-256 header Meta sends with body: "sha256="
// and the lower-case hex HMAC-SHA256 of the raw body under the app secret.
func Sign(body []byte, appSecret string) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// WABA is the business account id the payloads carry in entry[].id.
const WABA = "102290129340398"

// Display is the business's display phone number in the payloads.
const Display = "15550783881"

// Envelope is a webhook POST body: one entry with one change per value,
// as Meta sends them (a batch may carry several).
func Envelope(phoneID string, values ...map[string]any) []byte {
	var changes []any
	for _, v := range values {
		v["messaging_product"] = "whatsapp"
		v["metadata"] = map[string]any{"display_phone_number": Display, "phone_number_id": phoneID}
		changes = append(changes, map[string]any{"value": v, "field": "messages"})
	}
	b, _ := json.Marshal(map[string]any{"object": "whatsapp_business_account",
		"entry": []any{map[string]any{"id": WABA, "changes": changes}}})
	return b
}

// Inbound is the value of messages from user (wa_id), whose profile name
// is name.
func Inbound(user, name string, messages ...map[string]any) map[string]any {
	return map[string]any{
		"contacts": []any{map[string]any{"profile": map[string]any{"name": name}, "wa_id": user}},
		"messages": anys(messages),
	}
}

// Statuses is the value of status callbacks.
func Statuses(statuses ...map[string]any) map[string]any {
	return map[string]any{"statuses": anys(statuses)}
}

func anys(ms []map[string]any) []any {
	out := make([]any, len(ms))
	for i, m := range ms {
		out[i] = m
	}
	return out
}

// Message is the common part of an inbound message: from, id, timestamp
// and type; body holds the type's own object (nil for none).
func Message(user, id string, at time.Time, typ string, body any) map[string]any {
	m := map[string]any{"from": user, "id": id, "timestamp": strconv.FormatInt(at.Unix(), 10), "type": typ}
	if body != nil {
		m[typ] = body
	}
	return m
}

// Text is a text message.
func Text(user, id string, at time.Time, text string) map[string]any {
	return Message(user, id, at, "text", map[string]any{"body": text})
}

// ButtonReply is a press of a reply button with id and title on our
// message context.
func ButtonReply(user, id string, at time.Time, context, buttonID, title string) map[string]any {
	m := Message(user, id, at, "interactive", map[string]any{"type": "button_reply",
		"button_reply": map[string]any{"id": buttonID, "title": title}})
	m["context"] = map[string]any{"from": Display, "id": context}
	return m
}

// ListReply is a choice of row id with title from our list message
// context.
func ListReply(user, id string, at time.Time, context, rowID, title string) map[string]any {
	m := Message(user, id, at, "interactive", map[string]any{"type": "list_reply",
		"list_reply": map[string]any{"id": rowID, "title": title}})
	m["context"] = map[string]any{"from": Display, "id": context}
	return m
}

// TemplateButton is a press of a template's quick-reply button.
func TemplateButton(user, id string, at time.Time, context, payload, text string) map[string]any {
	m := Message(user, id, at, "button", map[string]any{"payload": payload, "text": text})
	m["context"] = map[string]any{"from": Display, "id": context}
	return m
}

// Media is an image, document, audio, video or sticker message of media
// id (of the given mime type); extra adds caption, filename, voice...
func Media(user, id string, at time.Time, typ, mediaID, mimeType string, extra map[string]any) map[string]any {
	body := map[string]any{"mime_type": mimeType, "sha256": "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=", "id": mediaID}
	for k, v := range extra {
		body[k] = v
	}
	return Message(user, id, at, typ, body)
}

// ReplyTo makes m a reply to our message context (a quoted reply).
func ReplyTo(m map[string]any, context string) map[string]any {
	m["context"] = map[string]any{"from": Display, "id": context}
	return m
}

// Status is a status callback of our message id: sent, delivered, read
// or failed (with an error code and title).
func Status(id, status, user string, at time.Time, code int, title string) map[string]any {
	s := map[string]any{"id": id, "status": status, "timestamp": strconv.FormatInt(at.Unix(), 10), "recipient_id": user}
	if code != 0 {
		s["errors"] = []any{map[string]any{"code": code, "title": title, "message": title,
			"error_data": map[string]any{"details": title}}}
	}
	return s
}
