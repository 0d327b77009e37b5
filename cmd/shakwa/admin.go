package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/storage"
)

// adminStore opens REDIS_URL for an admin command.
func adminStore(ctx context.Context, getenv func(string) string) (*storage.Store, error) {
	s, err := storage.Open(ctx, or(getenv("REDIS_URL"), "redis://127.0.0.1:6379/0"))
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	return s, nil
}

// reindex is "shakwa reindex [-dry-run]": it puts every ticket back in
// the indexes it belongs in (storage.Reindex), after a crash between a
// change and its indexes, or a Redis that lost writes.
func reindex(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	fs := flag.NewFlagSet("shakwa reindex", flag.ContinueOnError)
	fs.SetOutput(out)
	dry := fs.Bool("dry-run", false, "count the missing entries, write nothing")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	store, err := adminStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer store.Close()
	var progress func(int)
	if isTerminal(out) {
		progress = func(done int) { fmt.Fprintf(out, "\r%d tickets", done) }
	}
	n, err := store.Reindex(ctx, *dry, progress)
	if progress != nil {
		fmt.Fprintln(out)
	}
	if err != nil {
		return err
	}
	verb := "added"
	if *dry {
		verb = "missing (dry run: nothing written)"
	}
	fmt.Fprintf(out, "reindex: %d index entries %s\n", n, verb)
	return nil
}

// deadLetters is "shakwa dead-letters [list|retry] [-since D] [-dry-run]":
// list shows the dead letters kept, newest first, without their chats or
// words; retry puts those since D back in the outbox, once each, where a
// running bot sends them.
func deadLetters(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	sub := "list"
	if len(args) > 0 && (args[0] == "list" || args[0] == "retry") {
		sub, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("shakwa dead-letters "+sub, flag.ContinueOnError)
	fs.SetOutput(out)
	since := fs.Duration("since", 7*24*time.Hour, "only those made within this long")
	limit := fs.Int("n", 50, "list: at most this many")
	dry := fs.Bool("dry-run", false, "retry: count them, send nothing")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	store, err := adminStore(ctx, getenv)
	if err != nil {
		return err
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
			fmt.Fprintf(out, "%s  %-8s  %-24s  %d chars, %d files  %s\n", d.At.Format(time.RFC3339), r.Channel, r.Ref,
				len([]rune(r.Text)), len(r.Attachments), d.Reason)
		}
		fmt.Fprintf(out, "dead-letters: %d shown, %d kept in all\n", shown, len(ds))
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
	if isTerminal(out) {
		progress = bar(out)
	}
	n, err := store.RetryDead(ctx, from, *dry, enqueue, progress)
	if progress != nil {
		fmt.Fprintln(out)
	}
	if err != nil {
		return err
	}
	if *dry {
		fmt.Fprintf(out, "dead-letters: %d would go back to the outbox (dry run)\n", n)
	} else {
		fmt.Fprintf(out, "dead-letters: %d back in the outbox\n", n)
	}
	return nil
}
