package main

import (
	"bytes"
	"context"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/shakwa/shakwa/config"
)

// TestCommandHelp: each command's -h says how to call it, with what it
// reads when no -config is given, and is no failure.
func TestCommandHelp(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		say, never []string
	}{
		{[]string{"invite", "-h"}, []string{"usage: shakwa invite", "staff|supervisor|manager|evaluator"}, nil},
		{[]string{"tallies", "-h"}, []string{"usage: shakwa tallies rebuild [-config FILE]", "else config.yaml"}, []string{"built-in", "demo"}},
		{[]string{"tallies", "rebuild", "-h"}, []string{"usage: shakwa tallies rebuild [-config FILE]", "else config.yaml"}, []string{"built-in", "demo"}},
		{[]string{"serve", "-h"}, []string{"usage: shakwa serve [-config FILE]", "else config.yaml"}, []string{"built-in", "demo"}},
		{[]string{"demo", "-h"}, []string{"usage: shakwa demo [-config FILE]", "else the built-in example"}, nil},
		{[]string{"dead-letters", "-h"}, []string{"usage: shakwa dead-letters [list]", "shakwa dead-letters retry", "-dry-run", "-n int"},
			[]string{"Usage of"}},
		{[]string{"dead-letters", "retry", "-h"}, []string{"usage: shakwa dead-letters [list]"}, []string{"Usage of"}},
		{[]string{"reindex", "-h"}, []string{"usage: shakwa reindex [-dry-run]"}, []string{"Usage of"}},
		{[]string{"staff-link", "-h"}, []string{"usage: shakwa staff-link [-config FILE] [-hours N] PERSON-ID",
			"shakwa staff-link -revoke [-config FILE] PERSON-ID", "-revoke"}, []string{"Usage of"}},
	} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), tc.args, func(string) string { return "" }, &stdout, &stderr); err != nil {
			t.Errorf("%v: %v; want nil", tc.args, err)
		}
		for _, s := range tc.say {
			if !strings.Contains(stderr.String(), s) {
				t.Errorf("%v printed %q; want it to say %q", tc.args, stderr.String(), s)
			}
		}
		for _, s := range tc.never {
			if strings.Contains(stderr.String(), s) {
				t.Errorf("%v printed %q; want no %q", tc.args, stderr.String(), s)
			}
		}
		if stdout.Len() > 0 {
			t.Errorf("%v printed %q on stdout; want the usage on stderr only", tc.args, stdout.String())
		}
	}
}

// TestVersion: shakwa version, and --version, print one line on stdout.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr); err != nil {
			t.Errorf("%v: %v", args, err)
		}
		if got := stdout.String(); !strings.HasPrefix(got, "shakwa ") || !strings.HasSuffix(got, " "+runtime.Version()+"\n") ||
			strings.Count(got, "\n") != 1 || stderr.Len() > 0 {
			t.Errorf("%v printed %q on stdout, %q on stderr; want one line, shakwa VERSION ... %s", args, got, stderr.String(), runtime.Version())
		}
	}
	for _, tc := range []struct {
		name  string
		info  *debug.BuildInfo
		given string
		want  string
	}{
		{"no build info", nil, "", "shakwa (devel) go1.99"},
		{"no version", &debug.BuildInfo{}, "", "shakwa (devel) go1.99"},
		{"the image's, given at its build", &debug.BuildInfo{}, "3faf5fb", "shakwa (devel) revision 3faf5fb go1.99"},
		{"release", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "3faf5fb"}, {Key: "vcs.modified", Value: "false"}}},
			"", "shakwa v1.4.0 revision 3faf5fb go1.99"},
		{"changed work tree", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "3faf5fb"}, {Key: "vcs.modified", Value: "true"}}},
			"", "shakwa (devel) revision 3faf5fb+modified go1.99"},
	} {
		if got := versionLine(tc.info, "go1.99", tc.given); got != tc.want {
			t.Errorf("%s: got %q; want %q", tc.name, got, tc.want)
		}
	}
}

// TestEnvBool: a boolean variable takes what strconv.ParseBool takes,
// unset is false, and anything else is refused.
func TestEnvBool(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  bool
		ok    bool
	}{
		{"", false, true}, {"true", true, true}, {"TRUE", true, true}, {"1", true, true}, {"t", true, true},
		{"false", false, true}, {"0", false, true}, {"yes", false, false}, {"on", false, false}, {" true", false, false},
	} {
		got, err := envBool(func(string) string { return tc.value }, "WEB_CHAT_TRUST_PROXY")
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("%q: got %v, %v; want %v, ok=%v", tc.value, got, err, tc.want, tc.ok)
		}
	}
}

// TestKeptFromStart: the fields a reload cannot change are named when
// they change, the web staff panel's people and centres only when the
// panel is on.
func TestKeptFromStart(t *testing.T) {
	start, err := config.Load(testConfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		change func(c *config.Config)
		panel  bool
		want   []string
	}{
		{"nothing", func(c *config.Config) {}, true, nil},
		{"a limit read on each message", func(c *config.Config) { c.Limits.OpenTickets++ }, true, nil},
		{"the pace", func(c *config.Config) { c.Limits.BulkPerSecond = 5 }, false, []string{"limits.bulk_per_second"}},
		{"the look", func(c *config.Config) {
			c.Web.Name = map[string]string{"ar": "بوت"}
			c.Web.Colour, c.Web.Logo = "#123456", "logo.png"
		}, false, []string{"web.name", "web.colour", "web.logo"}},
		{"embedding", func(c *config.Config) { c.Web.EmbedOrigins = []string{"https://a.example"} }, false, []string{"web.embed_origins"}},
		{"the template", func(c *config.Config) { c.WhatsApp.Template.Name = "other" }, false, []string{"whatsapp.template"}},
		{"people, with Telegram", func(c *config.Config) { c.People = c.People[1:] }, false, nil},
		{"people, in the panel", func(c *config.Config) { c.People = c.People[1:] }, true, []string{"people (in the web staff panel)"}},
		{"a group, in the panel", func(c *config.Config) { c.Centres[0].StaffChat-- }, true,
			[]string{"centres (names and staff_chat, in the web staff panel)"}},
	} {
		next, err := config.Load(testConfig)
		if err != nil {
			t.Fatal(err)
		}
		tc.change(next)
		if got := keptFromStart(start, next, tc.panel); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q; want %q", tc.name, got, tc.want)
		}
	}
}
