package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
)

// Demo lists the people a visitor may act as in `shakwa demo`: staff,
// supervisors and managers, so that one browser can walk the whole loop.
// Only the demo sets it; without it no request may speak for anyone but
// its own visitor.
type Demo struct {
	People []DemoPerson `json:"people"`
}

// DemoPerson is one configured person and the chats they have with the
// bot.
type DemoPerson struct {
	ID   string `json:"id"` // the person's configured id, e.g. "111"
	Name string `json:"name"`
	Role string `json:"role"` // in words, for the list
	// Serves names the centres they work for, in words.
	Serves string     `json:"serves,omitempty"`
	Chats  []DemoChat `json:"chats"`
	// In are Role, Serves and the chats' labels in other languages, by
	// language: the list is shown in the page's.
	In map[string]DemoWords `json:"-"`
}

// DemoWords are a person's role, centres and chats' labels (by chat id)
// in one language.
type DemoWords struct {
	Role, Serves string
	Chats        map[string]string
}

// inLang is p in lang's words, where it has them.
func (p DemoPerson) inLang(lang string) DemoPerson {
	w, ok := p.In[lang]
	if !ok {
		return p
	}
	p.Role, p.Serves = w.Role, w.Serves
	p.Chats = slices.Clone(p.Chats)
	for i, ch := range p.Chats {
		if l, ok := w.Chats[ch.ID]; ok {
			p.Chats[i].Label = l
		}
	}
	return p
}

// DemoChat is a chat a DemoPerson writes in: their private chat with the
// bot (ID is the person's id) or a centre's staff group (Group, ID the
// group's configured chat).
type DemoChat struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Group bool   `json:"group,omitempty"`
}

// demoIndex answers who may speak where, in the demo.
type demoIndex struct {
	demo   *Demo
	people map[string]*DemoPerson
	chats  map[string]bool // every chat of every person
}

func indexDemo(d *Demo) (*demoIndex, error) {
	if d == nil {
		return nil, nil
	}
	x := &demoIndex{demo: d, people: map[string]*DemoPerson{}, chats: map[string]bool{}}
	for i := range d.People {
		p := &d.People[i]
		if p.ID == "" {
			return nil, errors.New("demo person without an id")
		}
		if _, dup := x.people[p.ID]; dup {
			return nil, fmt.Errorf("demo person %s listed twice", p.ID)
		}
		x.people[p.ID] = p
		for _, ch := range p.Chats {
			if ch.ID == "" {
				return nil, fmt.Errorf("demo person %s has a chat without an id", p.ID)
			}
			x.chats[ch.ID] = true
		}
	}
	return x, nil
}

// speaker is who writes, and where, in one request.
type speaker struct {
	chat  string
	group bool
	id    string // bot.User.ID
	name  string
}

// speakerOf resolves the "as" and "chat" of a request from visitor: with
// neither, the visitor in their own chat; else one of the people the
// request may act as (actors: in the demo anyone configured, a signed-in
// staff member themselves) in one of their chats. ok is false when the
// request may not speak so.
func speakerOf(actors *demoIndex, visitor, as, chat string) (s speaker, ok bool) {
	if as == "" && chat == "" {
		return speaker{chat: visitor, id: visitor}, true
	}
	if actors == nil || as == "" || chat == "" {
		return speaker{}, false
	}
	p := actors.people[as]
	if p == nil {
		return speaker{}, false
	}
	for _, ch := range p.Chats {
		if ch.ID == chat {
			return speaker{chat: ch.ID, group: ch.Group, id: p.ID, name: p.Name}, true
		}
	}
	return speaker{}, false
}

// servePeople lists the people the request may act as: the demo's, or
// the signed-in staff member; 404 for nobody.
func (c *Channel) servePeople(w http.ResponseWriter, r *http.Request) {
	a := c.actors(r)
	if a == nil {
		http.NotFound(w, r)
		return
	}
	lang := c.pageLang(r)
	people := make([]DemoPerson, len(a.demo.People))
	for i, p := range a.demo.People {
		people[i] = p.inLang(lang)
	}
	writeJSON(w, people)
}

// writeJSON answers 200 with v.
func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}
