package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/handlers"
	"github.com/shakwa/shakwa/locales"
	"github.com/shakwa/shakwa/storage"
)

// adminStore opens REDIS_URL for an admin command.
func adminStore(ctx context.Context, getenv func(string) string, opts ...storage.Option) (*storage.Store, error) {
	s, err := storage.Open(ctx, or(getenv("REDIS_URL"), "redis://127.0.0.1:6379/0"), opts...)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	return s, nil
}

// parseAndOpen parses an admin command's flags, which take no other
// arguments, and opens its store; both are nil after -h, whose usage fs
// has printed.
func parseAndOpen(ctx context.Context, fs *flag.FlagSet, args []string, getenv func(string) string) (*storage.Store, error) {
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return nil, fmt.Errorf("%s: unexpected argument %q", strings.TrimPrefix(fs.Name(), "shakwa "), fs.Arg(0))
	}
	return adminStore(ctx, getenv)
}

// reindex is "shakwa reindex [-dry-run]": it puts every ticket back in
// the indexes it belongs in, and every person's record in the people
// index (storage.Reindex), after a crash between a change and its
// indexes, a Redis that lost writes, or an upgrade from a version that
// did not index people's records. It counts on a terminal's stderr, and
// says how many entries it added on stdout.
func reindex(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("shakwa reindex", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dry := fs.Bool("dry-run", false, "count the missing entries, write nothing")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: shakwa reindex [-dry-run]")
		fs.PrintDefaults()
	}
	store, err := parseAndOpen(ctx, fs, args, getenv)
	if store == nil || err != nil {
		return err // nil for -h: the usage is printed
	}
	defer store.Close()
	var progress func(int)
	if isTerminal(stderr) {
		progress = func(done int) { fmt.Fprintf(stderr, "\r%d records", done) }
	}
	n, err := store.Reindex(ctx, time.Now(), *dry, progress)
	if progress != nil {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return err
	}
	verb := "added"
	if *dry {
		verb = "missing (dry run: nothing written)"
	}
	fmt.Fprintf(stdout, "reindex: %d index entries %s\n", n, verb)
	return nil
}

// deadLetters is "shakwa dead-letters [list|retry] [-since D] [-dry-run]":
// list shows the dead letters kept, newest first, without their chats or
// words; retry puts those since D back in the outbox, once each, where a
// running bot sends them. The list and the counts go to stdout, the
// progress bar to a terminal's stderr.
func deadLetters(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const usage = "usage: shakwa dead-letters [list] [-since 168h] [-n 50]   what could not be delivered, newest first\n" +
		"       shakwa dead-letters retry [-since 168h] [-dry-run]   send it again"
	sub := "list"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
		if sub != "list" && sub != "retry" {
			fmt.Fprintln(stderr, usage)
			return fmt.Errorf("dead-letters: unknown command %q (want list or retry)", sub)
		}
	}
	fs := flag.NewFlagSet("shakwa dead-letters "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	since := fs.Duration("since", 7*24*time.Hour, "only those made within this long")
	limit := fs.Int("n", 50, "list: at most this many")
	dry := fs.Bool("dry-run", false, "retry: count them, send nothing")
	fs.Usage = func() {
		fmt.Fprintln(stderr, usage)
		fs.PrintDefaults()
	}
	store, err := parseAndOpen(ctx, fs, args, getenv)
	if store == nil || err != nil {
		return err // nil for -h: the usage is printed
	}
	defer store.Close()
	from := time.Now().Add(-*since)
	if sub == "list" {
		ds, err := store.DeadLetters(ctx, 0)
		if err != nil {
			return err
		}
		shown := 0
		for _, d := range ds {
			if d.At.Before(from) || shown >= *limit {
				continue
			}
			shown++
			var r bot.Reply
			_ = json.Unmarshal(d.Item, &r)
			fmt.Fprintf(stdout, "%s  %-8s  %-24s  %d chars, %d files  %s\n", d.At.Format(time.RFC3339), r.Channel, r.Ref,
				len([]rune(r.Text)), len(r.Attachments), d.Reason)
		}
		fmt.Fprintf(stdout, "dead-letters: %d shown, %d kept in all\n", shown, len(ds))
		return nil
	}
	outbox := bot.NewOutbox(store, nil, time.Now, slog.New(slog.DiscardHandler))
	enqueue := func(ctx context.Context, once string, item []byte) error {
		var r bot.Reply
		if err := json.Unmarshal(item, &r); err != nil {
			return err
		}
		r.Priority = bot.Notify // sent again on the operator's word: after answers
		_, err := outbox.Enqueue(ctx, once, 24*time.Hour, []bot.Reply{r})
		return err
	}
	var progress func(done, total int)
	if isTerminal(stderr) {
		progress = bar(stderr)
	}
	n, err := store.RetryDead(ctx, from, *dry, enqueue, progress)
	if progress != nil {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return err
	}
	if *dry {
		fmt.Fprintf(stdout, "dead-letters: %d would go back to the outbox (dry run)\n", n)
	} else {
		fmt.Fprintf(stdout, "dead-letters: %d back in the outbox\n", n)
	}
	return nil
}

// exportPeriods says what export takes for PERIOD, as /export does
// (stats.Calendar.Parse).
const exportPeriods = "want a PERIOD and a CENTRE code, both optional: today, yesterday, week, last week, " +
	"month (the default), last month, last N days (N up to 366), a month (2026-11, November 2026), " +
	"a date (2026-11-03) or two joined by .. (2026-11-01..2026-11-15), none of it in the future"

// exportToDisk is "shakwa export -out DIR [-lang ar] [-phones] [PERIOD]
// [CENTRE]": the files /export sends (a spreadsheet and three CSV files),
// written to DIR, over every centre or the one named; recorded in the
// audit record as made on the server. It lists the files written on
// stdout.
func exportToDisk(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("shakwa export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", or(getenv("SHAKWA_CONFIG"), "config.yaml"), "configuration `file` (env SHAKWA_CONFIG)")
	dir := fs.String("out", "", "the `directory` to write the files to (made if missing)")
	lang := fs.String("lang", "ar", "the files' language: ar or en")
	phones := fs.Bool("phones", false, "citizens' phone numbers whole (default: masked, as a manager reads them)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: shakwa export -out DIR [-lang ar|en] [-phones] [PERIOD] [CENTRE]   (PERIOD as /export takes it; default this month)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if *dir == "" || (*lang != "ar" && *lang != "en") {
		fs.Usage()
		return errors.New("export: want -out DIR, and -lang ar or en")
	}
	cfg, err := config.Load(*configFile)
	if err != nil {
		return err
	}
	text, err := locales.New(nil)
	if err != nil {
		return err
	}
	store, err := adminStore(ctx, getenv, storage.WithTallier(handlers.TallyModel(cfg)))
	if err != nil {
		return err
	}
	defer store.Close()
	h := handlers.New(cfg, store, text, time.Now, slog.New(slog.DiscardHandler), handlers.Options{})
	files, n, err := h.ExportArgs(ctx, *lang, strings.Join(fs.Args(), " "), *phones, handlers.ServerActor)
	if errors.Is(err, shakwa.ErrInvalid) {
		return fmt.Errorf("%w: %s", err, exportPeriods)
	} else if err != nil {
		return err
	}
	if err := os.MkdirAll(*dir, 0o750); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	for _, f := range files {
		path := filepath.Join(*dir, f.Name)
		if err := os.WriteFile(path, f.Data, 0o640); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		fmt.Fprintf(stdout, "%s  (%d bytes)\n", path, len(f.Data))
	}
	fmt.Fprintf(stdout, "export: %d requests\n", n)
	return nil
}
