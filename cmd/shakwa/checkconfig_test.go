package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckConfig: check-config says what a good file holds, and fails on
// a bad one naming what is wrong, as a deployment pipeline needs; the
// summary is on stdout.
func TestCheckConfig(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("centres: [{code: x}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		ok   bool
		say  string
	}{
		{[]string{"check-config", "../../config.example.yaml"}, true, "ok: 5 centres, 9 categories, 9 people (4 staff, 2 supervisors, 2 managers, 1 evaluator), 4 standards, 3 visit questions"},
		{[]string{"check-config", "../../config.example.yaml"}, true, "shakwa serve refuses it"},
		{[]string{"check-config", "-config", testConfig}, true, "ok:"},
		{[]string{"check-config", bad}, false, `centres[0].code: "x" must be 2-6 upper-case letters`},
		{[]string{"check-config", "missing.yaml"}, false, "no such file"},
		{[]string{"check-config"}, false, "usage"},
	} {
		var out, diag bytes.Buffer
		err := run(context.Background(), tc.args, func(string) string { return "" }, &out, &diag)
		said := out.String() // a good file's summary
		if err != nil {
			said = diag.String() + err.Error()
		}
		if (err == nil) != tc.ok || !strings.Contains(said, tc.say) {
			t.Errorf("%v: %q, %v; want ok=%v saying %q", tc.args, out.String(), err, tc.ok, tc.say)
		}
	}
}
