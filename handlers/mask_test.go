package handlers

import "testing"

// TestMaskPhone: a staff group sees where a number is from and how it
// ends, never the digits between.
func TestMaskPhone(t *testing.T) {
	for in, want := range map[string]string{
		"+971501234567": "+971•••••••67",
		"0501234567":    "050•••••67",
		"971501234567":  "971•••••••67",
		"+97150":        "••••••",
		"":              "",
	} {
		if got := maskPhone(in); got != want {
			t.Errorf("maskPhone(%q) = %q; want %q", in, got, want)
		}
	}
}
