// Command vulndb lays out the Go vulnerability database that govulncheck
// reads, from the OSV entries of the golang.org/x/vulndb module, for a
// machine that reaches the Go module proxy but not vuln.go.dev:
//
//	go run ./scripts/vulndb -osv "$(go env GOMODCACHE)/golang.org/x/vulndb@VERSION/data/osv" -out DIR
//	govulncheck -db file://DIR ./...
//
// It writes index/db.json, index/modules.json, index/vulns.json and
// ID/<id>.json, the database's v1 layout.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// entry is what the index needs of an OSV entry.
type entry struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
	Affected []struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
		Ranges []struct {
			Events []struct {
				Fixed string `json:"fixed,omitempty"`
			} `json:"events"`
		} `json:"ranges"`
	} `json:"affected"`
}

type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Fixed    string    `json:"fixed,omitempty"`
}

type moduleMeta struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type vulnMeta struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

func main() {
	osv := flag.String("osv", "", "the data/osv directory of the golang.org/x/vulndb module")
	out := flag.String("out", "", "where to write the database")
	modified := flag.String("modified", "", "the database's time, RFC 3339 (default: now)")
	flag.Parse()
	if err := run(*osv, *out, *modified); err != nil {
		fmt.Fprintln(os.Stderr, "vulndb:", err)
		os.Exit(1)
	}
}

func run(osv, out, modified string) error {
	if osv == "" || out == "" {
		return fmt.Errorf("want -osv and -out")
	}
	at := time.Now().UTC()
	if modified != "" {
		t, err := time.Parse(time.RFC3339, modified)
		if err != nil {
			return fmt.Errorf("-modified: %w", err)
		}
		at = t
	}
	files, err := filepath.Glob(filepath.Join(osv, "GO-*.json"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no GO-*.json in %s (%v)", osv, err)
	}
	for _, d := range []string{"index", "ID"} {
		if err := os.MkdirAll(filepath.Join(out, d), 0o755); err != nil {
			return err
		}
	}
	modules := map[string]*moduleMeta{}
	var vulns []vulnMeta
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var e entry
		if err := json.Unmarshal(b, &e); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if e.Modified.Year() < 2000 {
			e.Modified = at // the repository's entries take their time from git
		}
		if err := os.WriteFile(filepath.Join(out, "ID", e.ID+".json"), b, 0o644); err != nil {
			return err
		}
		vulns = append(vulns, vulnMeta{ID: e.ID, Modified: e.Modified, Aliases: e.Aliases})
		for _, a := range e.Affected {
			path := a.Package.Name
			m := modules[path]
			if m == nil {
				m = &moduleMeta{Path: path}
				modules[path] = m
			}
			v := moduleVuln{ID: e.ID, Modified: e.Modified}
			for _, r := range a.Ranges {
				for _, ev := range r.Events {
					if ev.Fixed != "" {
						v.Fixed = ev.Fixed // the latest fixed version listed
					}
				}
			}
			m.Vulns = append(m.Vulns, v)
		}
	}
	var mods []*moduleMeta
	for _, m := range modules {
		mods = append(mods, m)
	}
	sort.Slice(mods, func(i, j int) bool { return strings.Compare(mods[i].Path, mods[j].Path) < 0 })
	sort.Slice(vulns, func(i, j int) bool { return vulns[i].ID < vulns[j].ID })
	for name, v := range map[string]any{
		"db.json": struct {
			Modified time.Time `json:"modified"`
		}{at},
		"modules.json": mods,
		"vulns.json":   vulns,
	} {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, "index", name), b, 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("vulndb: %d entries, %d modules, in %s\n", len(vulns), len(mods), out)
	return nil
}
