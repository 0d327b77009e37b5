package storage_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryScriptLoaded: every Lua script of the store is in the list
// loaded at start, so that its first use is one round trip like the
// others'.
func TestEveryScriptLoaded(t *testing.T) {
	src, err := os.ReadFile("store.go")
	if err != nil {
		t.Fatal(err)
	}
	list := regexp.MustCompile(`(?s)var scripts = \[\]\*redis\.Script\{(.*?)\}`).FindSubmatch(src)
	if list == nil {
		t.Fatal("no scripts list in store.go")
	}
	listed := map[string]bool{}
	for _, name := range strings.Split(string(list[1]), ",") {
		listed[strings.TrimSpace(name)] = true
	}
	files, _ := filepath.Glob("*.go")
	script := regexp.MustCompile(`(?m)^var (\w+) = redis\.NewScript\(`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range script.FindAllSubmatch(b, -1) {
			if !listed[string(m[1])] {
				t.Errorf("%s: %s is not in the scripts loaded at start (store.go)", f, m[1])
			}
		}
	}
}
