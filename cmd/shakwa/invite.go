package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/handlers"
)

// invite is "shakwa invite [-config FILE] ROLE [CENTRE...]": it makes a
// one-time code, valid for a day, that gives ROLE (staff, supervisor,
// manager, evaluator) at the centres to whoever sends the bot /join CODE, as a
// manager's /invite does, and prints it on stdout, alone on its line (how
// to use it goes to stderr). The record says it was made on the server.
func invite(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("shakwa invite", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", or(getenv("SHAKWA_CONFIG"), "config.yaml"), "configuration `file` (env SHAKWA_CONFIG)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: shakwa invite [-config FILE] staff|supervisor|manager|evaluator [CENTRE...]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("invite: want a role")
	}
	cfg, err := config.Load(*configFile)
	if err != nil {
		return err
	}
	role, centres, err := handlers.ReadInvite(cfg, fs.Args())
	if err != nil {
		return fmt.Errorf("invite: %w", err)
	}
	store, err := adminStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer store.Close()
	code, err := handlers.NewInviteCode()
	if err != nil {
		return err
	}
	inv := shakwa.Invite{Role: role, Centres: centres, By: handlers.ServerActor, At: time.Now()}
	if err := store.CreateInvite(ctx, code, inv, handlers.InviteTTL); err != nil {
		return err
	}
	fmt.Fprintln(stdout, code)
	fmt.Fprintf(stderr, "valid once, for 24 hours: the new %s sends the bot, in a private chat on Telegram: /join %s\n", role, code)
	return nil
}
