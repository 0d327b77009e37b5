// Package locales holds every word a person sees, in Arabic (the default)
// and English, as go-i18n message files embedded in the binary, and the
// text normalisation that lets people type in either script.
package locales

import (
	"embed"
	"fmt"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed active.*.toml
var files embed.FS

// Languages we speak, the default first.
var langs = []string{"ar", "en"}

// Langs returns the supported language codes, the default first.
func Langs() []string { return append([]string(nil), langs...) }

// Lang maps a platform language hint ("en-GB", "ar", "") to one we speak.
func Lang(hint string) string {
	base, _, _ := strings.Cut(strings.ToLower(hint), "-")
	for _, l := range langs {
		if l == base {
			return l
		}
	}
	return langs[0]
}

// Bundle renders messages. It is safe for concurrent use.
type Bundle struct {
	loc    map[string]*i18n.Localizer
	plural map[string]bool // keys with plural forms
	keys   map[string][]string
	// words are the word lists ("words.*") of every language, folded:
	// what Is looks typed text up in.
	words   map[string]map[string]bool
	onError func(lang, key string, err error)
}

// New loads the embedded message files. onError, when not nil, hears of
// every message Text cannot render whole (a missing message or plural
// form, a template error): the program logs them, tests fail on them. It
// may be called concurrently.
func New(onError func(lang, key string, err error)) (*Bundle, error) {
	b := i18n.NewBundle(language.Arabic)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	bu := &Bundle{loc: map[string]*i18n.Localizer{}, plural: map[string]bool{}, keys: map[string][]string{},
		onError: onError}
	for _, l := range langs {
		name := "active." + l + ".toml"
		data, err := files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		if _, err := b.ParseMessageFileBytes(data, name); err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		var raw map[string]any
		if err := toml.Unmarshal(data, &raw); err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		for k, v := range raw {
			bu.keys[l] = append(bu.keys[l], k)
			if _, ok := v.(map[string]any); ok {
				bu.plural[k] = true
			}
		}
		slices.Sort(bu.keys[l])
		bu.loc[l] = i18n.NewLocalizer(b, l)
	}
	bu.words = map[string]map[string]bool{}
	for _, k := range bu.keys[langs[0]] {
		if !strings.HasPrefix(k, "words.") {
			continue
		}
		set := map[string]bool{}
		for _, l := range langs {
			words, err := bu.Render(l, k, nil)
			if err != nil {
				return nil, err
			}
			for _, w := range strings.Split(words, "|") {
				if f := Fold(w); f != "" {
					set[f] = true
				}
			}
		}
		bu.words[k] = set
	}
	return bu, nil
}

// Has reports whether message key exists (in the default language; the
// tests keep the languages' keys the same).
func (b *Bundle) Has(key string) bool {
	_, ok := slices.BinarySearch(b.keys[langs[0]], key)
	return ok
}

// Keys returns the message keys of lang, sorted.
func (b *Bundle) Keys(lang string) []string { return slices.Clone(b.keys[lang]) }

// Plural reports whether message key has plural forms (and so wants a
// "Count" in its data).
func (b *Bundle) Plural(key string) bool { return b.plural[key] }

// Render returns message key in lang with data. A "Count" entry in data
// selects the plural form. It returns an error when the message or one of
// its plural forms is missing; the text is then the best it could make.
func (b *Bundle) Render(lang, key string, data map[string]any) (string, error) {
	l, ok := b.loc[lang]
	if !ok {
		l = b.loc[langs[0]]
	}
	cfg := &i18n.LocalizeConfig{MessageID: key, TemplateData: data}
	if n, ok := data["Count"]; ok && b.plural[key] {
		cfg.PluralCount = n
	}
	s, err := l.Localize(cfg)
	if err != nil {
		return s, fmt.Errorf("render %s/%s: %w", lang, key, err)
	}
	return s, nil
}

// Text is Render without the error: what it cannot render goes to New's
// onError, and the person sees the best text there is (the key itself
// when there is none), never nothing.
func (b *Bundle) Text(lang, key string, data map[string]any) string {
	s, err := b.Render(lang, key, data)
	if err != nil && b.onError != nil {
		b.onError(lang, key, err)
	}
	if s == "" {
		return key
	}
	return s
}

// Is reports whether typed text is one of the words of key ("words.cancel"
// lists «إلغاء|الغاء|cancel|...») in any language, ignoring case, Arabic
// letter variants and surrounding punctuation.
func (b *Bundle) Is(key, text string) bool { return b.IsFolded(key, Fold(text)) }

// IsFolded is Is for text Fold has already been through: a message matched
// against several lists is folded once.
func (b *Bundle) IsFolded(key, folded string) bool {
	set, ok := b.words[key]
	if !ok && b.onError != nil {
		b.onError(langs[0], key, fmt.Errorf("no word list %s", key))
	}
	return folded != "" && set[folded]
}
