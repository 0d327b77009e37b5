package shakwa_test

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/shakwa/shakwa"

// forbidden lists, per package, imports it must not have and why. See
// DESIGN.md "Packages and the way data flows".
var forbidden = map[string][]struct{ prefix, why string }{
	"": {{"github.com/", "domain types import only the standard library"}, {"golang.org/", "domain types import only the standard library"}, {"gopkg.in/", "domain types import only the standard library"}},
	"flows": {
		{module + "/", "flows import nothing of ours"},
		{"github.com/go-telegram/", "flows know no platform"},
		{"github.com/redis/", "flows do no I/O"},
	},
	"bot": {
		{module + "/handlers", "the core does not know the handlers"},
		{module + "/flows", "the core does not know the flows"},
		{module + "/storage", "the core names its storage needs as interfaces"},
		{module + "/bot/", "the core does not know its adapters"},
		{"github.com/go-telegram/", "the core is channel-neutral"},
		{"github.com/redis/", "the core names its storage needs as interfaces"},
	},
	"bot/telegram": {
		{module + "/handlers", "adapters never import handlers"},
		{module + "/flows", "adapters never import flows"},
		{module + "/storage", "adapters never import storage"},
	},
	"bot/whatsapp": {
		{module + "/handlers", "adapters never import handlers"},
		{module + "/flows", "adapters never import flows"},
		{module + "/storage", "adapters never import storage"},
		{module + "/files", "adapters name the file store they need as bot.FileStore"},
		{"github.com/go-telegram/", "the WhatsApp adapter knows no other platform"},
	},
	"bot/web": {
		{module + "/handlers", "adapters never import handlers"},
		{module + "/flows", "adapters never import flows"},
		{module + "/storage", "adapters never import storage"},
	},
	"handlers": {
		{module + "/storage", "handlers name the storage they need as small interfaces"},
		{module + "/bot/", "handlers speak bot.Reply, not a platform"},
		{"github.com/go-telegram/", "handlers speak bot.Reply, not a platform"},
		{"github.com/redis/", "handlers name the storage they need as small interfaces"},
	},
	"storage": {
		{module + "/bot", "storage does not know the bot"},
		{module + "/handlers", "storage does not know the handlers"},
		{module + "/flows", "storage keeps sessions as opaque bytes"},
	},
	"stats":   {{module + "/storage", "stats is pure computation"}, {module + "/bot", "stats is pure computation"}, {"github.com/redis/", "stats is pure computation"}},
	"config":  {{module + "/storage", "config is read once by main"}, {module + "/bot", "config is read once by main"}},
	"locales": {{module + "/", "locales import nothing of ours"}},
	"export":  {{module + "/", "export is pure: data in, bytes out"}},
	"charts":  {{module + "/", "charts draws pictures from data and knows nothing of ours"}},
	"telemetry": {
		{module + "/handlers", "metrics hear the core through bot.Observer"},
		{module + "/flows", "metrics know no conversation"},
		{module + "/bot/", "metrics know no platform"},
	},
	"files": {
		{module + "/bot", "the file store knows bytes, not chats"},
		{module + "/storage", "the file store is a directory, not Redis"},
		{module + "/handlers", "the file store knows bytes, not people"},
	},
}

// TestDependencyDirection checks the non-test imports of every package.
func TestDependencyDirection(t *testing.T) {
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && path != "." || d.Name() == "testdata" {
			return filepath.SkipDir
		}
		rules, ok := forbidden[strings.TrimPrefix(filepath.ToSlash(path), ".")]
		if path == "." {
			rules, ok = forbidden[""], true
		}
		if !ok {
			return nil
		}
		pkg, err := build.ImportDir(path, 0)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		checked++
		for _, imp := range pkg.Imports {
			for _, r := range rules {
				if strings.HasPrefix(imp, r.prefix) {
					t.Errorf("%s imports %s: %s", path, imp, r.why)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked != len(forbidden) {
		t.Errorf("checked %d packages; want %d (a package was moved or renamed?)", checked, len(forbidden))
	}
}
