package bot

import (
	"fmt"
	"testing"
)

// TestLabelCache: a label marked from the cache is what Directed makes,
// in each direction, however often and after the cache was emptied.
func TestLabelCache(t *testing.T) {
	c := &labelCache{}
	for round := 0; round < 2; round++ {
		for i := 0; i < maxLabels+10; i++ {
			label := fmt.Sprintf("🏢 KRM-%06d مركز", i%50+round)
			for _, rtl := range []bool{true, false} {
				if got, want := c.directed(label, rtl), Directed(label, rtl); got != want {
					t.Fatalf("directed(%q, %v) = %q; want %q", label, rtl, got, want)
				}
			}
		}
	}
	for i := 0; i < maxLabels+1; i++ {
		c.directed(fmt.Sprint("label ", i), true)
	}
	if n := len(c.m[1]); n > maxLabels {
		t.Errorf("the cache holds %d labels; want at most %d", n, maxLabels)
	}
}
