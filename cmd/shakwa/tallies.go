package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/shakwa/shakwa/handlers"
	"github.com/shakwa/shakwa/stats"
	"github.com/shakwa/shakwa/storage"
)

// talliesLease names the lease a replica holds while it rebuilds the
// tallies, so that of several starting at once one does it.
const talliesLease = "tallies-rebuild"

// keepTallies is a runner: when the tallies in the store were made with
// another model than m (first start, an upgrade, a new zone or SLA
// target), one replica rebuilds them from the tickets, then it waits for
// the end like the other runners. Figures read meanwhile are partial.
func keepTallies(store *storage.Store, m stats.Model, log *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		err := ensureTallies(ctx, store, m, log, nil, false)
		if errors.Is(err, errRebuilding) {
			log.Info("tallies: another replica is rebuilding them")
		} else if err != nil && ctx.Err() == nil {
			log.Error("tallies not rebuilt; figures may be incomplete until they are (shakwa tallies rebuild)", "err", err)
		}
		<-ctx.Done()
		return nil
	}
}

// errRebuilding is ensureTallies' error when another replica holds the
// lease: it is rebuilding the tallies.
var errRebuilding = errors.New("another replica is rebuilding the tallies")

// ensureTallies rebuilds the tallies unless they were made with m (or
// always, with force); it returns errRebuilding when another replica is
// at it, and then changes nothing.
func ensureTallies(ctx context.Context, store *storage.Store, m stats.Model, log *slog.Logger, progress func(done, total int), force bool) error {
	mark, err := store.TallyMark(ctx)
	if err != nil || mark == m.Fingerprint() && !force {
		return err
	}
	holder := rand.Text()
	ok, err := store.Lease(ctx, talliesLease, holder, time.Hour)
	if err != nil {
		return err
	}
	if !ok {
		return errRebuilding
	}
	defer store.Unlease(context.WithoutCancel(ctx), talliesLease, holder)
	// Until it is done the tallies are of no model: a rebuild cut short
	// is made again at the next start.
	if err := store.SetTallyMark(ctx, ""); err != nil {
		return err
	}
	log.Info("rebuilding tallies", "was", mark, "now", m.Fingerprint())
	start := time.Now()
	if err := store.RebuildTallies(ctx, nil, progress); err != nil {
		return err
	}
	if err := store.SetTallyMark(ctx, m.Fingerprint()); err != nil {
		return err
	}
	log.Info("tallies rebuilt", "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// rebuildTallies is "shakwa tallies rebuild": the tallies made again from
// every ticket, with a progress bar on a terminal.
func rebuildTallies(ctx context.Context, e env, log *slog.Logger) error {
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	m := handlers.TallyModel(cfg)
	store, err := storage.Open(ctx, e.RedisURL, storage.WithTallier(m))
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	defer store.Close()
	var progress func(done, total int)
	if isTerminal(e.Stderr) {
		progress = bar(e.Stderr)
	}
	err = ensureTallies(ctx, store, m, log, progress, true) // whatever the mark says: this is asked for
	if errors.Is(err, errRebuilding) {
		return fmt.Errorf("tallies rebuild: %w now (it holds the lease %q, for an hour at most); nothing done here", err, talliesLease)
	} else if err != nil {
		return err
	}
	if progress != nil {
		fmt.Fprintln(e.Stderr)
	}
	return nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// bar draws a progress bar on w, redrawn in place.
func bar(w io.Writer) func(done, total int) {
	return func(done, total int) {
		const width = 40
		n := width
		if total > 0 {
			n = width * done / total
		}
		fmt.Fprintf(w, "\r[%-*s] %d/%d", width, strings.Repeat("#", n), done, total)
	}
}
