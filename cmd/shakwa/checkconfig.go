package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/config"
)

// checkConfig validates a configuration file without starting anything,
// for deployment pipelines: shakwa check-config FILE (or -config FILE, or
// SHAKWA_CONFIG). It says on stdout what the file holds when it is good,
// and what is wrong when it is not (the command fails then).
func checkConfig(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("shakwa check-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("config", getenv("SHAKWA_CONFIG"), "the configuration `file` to check (or as the argument)")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return errors.New("usage: shakwa check-config FILE")
	}
	if fs.NArg() == 1 {
		*file = fs.Arg(0)
	}
	if *file == "" {
		return errors.New("usage: shakwa check-config FILE (or SHAKWA_CONFIG)")
	}
	cfg, err := config.Load(*file)
	if err != nil {
		return err
	}
	if _, err := webBrand(cfg.Web); err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	roles := map[shakwa.Role]int{}
	for _, p := range cfg.People {
		roles[p.Role]++
	}
	q := cfg.Quality
	fmt.Fprintf(stdout, "%s: ok: %d centres, %d categories, %d people (%d staff, %d supervisors, %d managers, %s), "+
		"%d standards, %d visit questions, time zone %s\n",
		*file, len(cfg.Centres), len(cfg.Categories), len(cfg.People),
		roles[shakwa.RoleStaff], roles[shakwa.RoleSupervisor], roles[shakwa.RoleManager], countOf(roles[shakwa.RoleEvaluator], "evaluator"),
		len(q.Standards), len(q.VisitForm), cfg.Timezone)
	if cfg.Example {
		fmt.Fprintf(stdout, "%s: the example configuration (example: true): shakwa demo runs it, shakwa serve refuses it\n", *file)
	}
	return nil
}

// countOf is n and the noun, plural when n is not 1.
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
