package handlers

import "testing"

// TestParseTicketSeparators: a ticket number is read through any space or
// dash a phone types, and through the direction marks it carries when
// copied from the bot's own message; what is not a number stays not one.
func TestParseTicketSeparators(t *testing.T) {
	for _, typed := range []string{
		"KRM-000123", "krm 123", "KRM – 000123", "KRM—123", "KRM\u2011000123", "KRM\u00a0123",
		"KRM\u2212123", "\u2066KRM-000123\u2069", "\u200fKRM-000123\u200e", "\u061cKRM-000123", "١٢٣", "krm ۰۰۰۱۲۳",
		"KRMـ000123", "KRM-000123.", "KRM-000123؟", "١٢٣!", "KRM\u200b000123", "KRM\u200c123", "\ufeffKRM-000123",
	} {
		r, ok := parseTicket(typed)
		if !ok || r.number != 123 {
			t.Errorf("parseTicket(%q) = %+v, %v; want number 123", typed, r, ok)
		}
	}
	for _, typed := range []string{"KRM", "K 123", "ticket please", "123456789012", ".", "؟"} {
		if r, ok := parseTicket(typed); ok {
			t.Errorf("parseTicket(%q) = %+v; want no ticket number", typed, r)
		}
	}
}
