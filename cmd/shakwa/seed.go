package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/handlers"
	"github.com/shakwa/shakwa/internal/seed"
	"github.com/shakwa/shakwa/storage"
)

// seedWorkers is how many tickets "shakwa seed" writes at once.
const seedWorkers = 64

// seedOptions are the flags of "shakwa seed".
type seedOptions struct {
	config, writeConfig string
	tickets, centres    int
	days                int
	seed                uint64
	yes                 bool
}

// seedData is "shakwa seed": synthetic tickets and feedback written to
// REDIS_URL, for trying the reports and measuring them at scale. It
// refuses a database that holds tickets unless told -yes.
func seedData(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("shakwa seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o seedOptions
	fs.StringVar(&o.config, "config", getenv("SHAKWA_CONFIG"), "configuration `file` (env SHAKWA_CONFIG; default: the built-in example)")
	fs.IntVar(&o.tickets, "tickets", 10000, "write `N` tickets")
	fs.IntVar(&o.centres, "centres", 600, "of `N` centres: the configured ones if there are as many, else generated ones (CAAA, CAAB...; they need -write-config)")
	fs.IntVar(&o.days, "days", 365, "filed over the last `N` days")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed `N`: the same N writes the same data")
	fs.StringVar(&o.writeConfig, "write-config", "", "write a configuration `file` listing the centres, their staff and a manager of them all")
	fs.BoolVar(&o.yes, "yes", false, "write even to a database that holds tickets")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: shakwa seed [flags]\n\nWrites synthetic tickets and feedback to the Redis of REDIS_URL, as the bot would have\nwritten them, for trying the reports and measuring them. Never point it at real data.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if o.tickets < 1 || o.centres < 1 || o.days < 1 || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("seed: want -tickets, -centres and -days of at least 1, and no arguments")
	}
	return runSeed(ctx, o, or(getenv("REDIS_URL"), "redis://127.0.0.1:6379/0"), stdout, stderr)
}

// runSeed writes the data o describes to the Redis at url.
func runSeed(ctx context.Context, o seedOptions, url string, stdout, stderr io.Writer) error {
	cfg, w, err := seedWorld(o)
	if err != nil {
		return err
	}
	opt, err := storage.ParseURL(url)
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	opt.PoolSize = max(opt.PoolSize, seedWorkers+8)
	rdb := redis.NewUniversalClient(opt)
	m := handlers.TallyModel(cfg)
	store, err := storage.New(ctx, rdb, storage.WithTallier(m))
	if err != nil {
		_ = rdb.Close()
		return fmt.Errorf("redis: %w", err)
	}
	defer store.Close()
	had, err := store.TicketCount(ctx)
	if err != nil {
		return err
	}
	if had > 0 && !o.yes {
		return fmt.Errorf("seed: the database holds %d tickets; seed writes synthetic data beside them, so it wants -yes to go on", had)
	}
	mark, err := store.TallyMark(ctx)
	if err != nil {
		return err
	}
	before, err := seed.UsedMemory(ctx, rdb)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "shakwa seed: writing %d synthetic tickets of %d centres over %d days\n", o.tickets, len(w.Centres), o.days)
	var progress func(done, total int)
	if isTerminal(stderr) {
		progress = bar(stderr)
	}
	p := seed.Plan{World: w, Tickets: o.tickets, Days: o.days, Seed: o.seed, Now: time.Now(), Loc: cfg.Location,
		CloseAfter: time.Duration(cfg.CloseAfter), ReopenDays: cfg.ReopenDays, Workers: seedWorkers}
	res, err := seed.Run(ctx, store, p, progress)
	if progress != nil {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return fmt.Errorf("seed: after %d tickets: %w", res.Tickets, err)
	}
	// The tallies were made with m: say so, unless older ones were not.
	if had == 0 || mark == m.Fingerprint() {
		if err := store.SetTallyMark(ctx, m.Fingerprint()); err != nil {
			return err
		}
	}
	after, err := seed.UsedMemory(ctx, rdb)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "shakwa seed: %d tickets and %d feedback in %s (%.0f tickets/s); Redis used_memory %s before, %s after: %s per ticket\n",
		res.Tickets, res.Feedback, res.Took.Round(time.Millisecond), float64(res.Tickets)/res.Took.Seconds(),
		byteSize(before), byteSize(after), byteSize((after-before)/int64(max(res.Tickets, 1))))
	return nil
}

// seedWorld is the configuration the data is made for, and its world: the
// configured centres when there are enough, else generated ones, whose
// configuration is written to o.writeConfig (which the bot then needs to
// show them, and whose targets the tallies follow).
func seedWorld(o seedOptions) (*config.Config, seed.World, error) {
	var cfg *config.Config
	var err error
	if o.config == "" {
		cfg, err = config.Parse(shakwa.ExampleConfig)
	} else {
		cfg, err = config.Load(o.config)
	}
	if err != nil {
		return nil, seed.World{}, err
	}
	var w seed.World
	if len(cfg.Centres) >= o.centres {
		w, err = seed.FromConfig(cfg, o.centres)
	} else if o.writeConfig == "" {
		err = fmt.Errorf("seed: the configuration has %d centres, not %d: generated centres need -write-config, the configuration the bot must then run with", len(cfg.Centres), o.centres)
	} else {
		w, err = seed.Generate(cfg, o.centres, o.seed)
	}
	if err != nil || o.writeConfig == "" {
		return cfg, w, err
	}
	data := seed.Config(cfg, w)
	if cfg, err = config.Parse(data); err != nil {
		return nil, seed.World{}, fmt.Errorf("seed: the written configuration: %w", err)
	}
	if err := os.WriteFile(o.writeConfig, data, 0o644); err != nil {
		return nil, seed.World{}, fmt.Errorf("seed: %w", err)
	}
	return cfg, w, nil
}

// byteSize writes n bytes for people: 812 B, 3.9 KiB, 1.2 GiB.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, units := float64(n), "KMGT"
	i := -1
	for f >= unit && i < len(units)-1 {
		f /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", f, units[i])
}
