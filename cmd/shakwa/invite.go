package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/handlers"
	"github.com/shakwa/shakwa/storage"
)

// invite is "shakwa invite [-config FILE] ROLE [CENTRE...]": it makes a
// one-time code, valid for a day, that gives ROLE (staff, supervisor,
// manager) at the centres to whoever sends the bot /join CODE, as a
// manager's /invite does, and prints it. The record says it was made on
// the server.
func invite(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	fs := flag.NewFlagSet("shakwa invite", flag.ContinueOnError)
	fs.SetOutput(out)
	configFile := fs.String("config", or(getenv("SHAKWA_CONFIG"), "config.yaml"), "configuration `file` (env SHAKWA_CONFIG)")
	fs.Usage = func() {
		fmt.Fprintln(out, "usage: shakwa invite [-config FILE] staff|supervisor|manager [CENTRE...]")
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
	var role shakwa.Role
	switch strings.ToLower(fs.Arg(0)) {
	case "staff":
		role = shakwa.RoleStaff
	case "supervisor":
		role = shakwa.RoleSupervisor
	case "manager":
		role = shakwa.RoleManager
	default:
		return fmt.Errorf("invite: %q is no role (staff, supervisor, manager)", fs.Arg(0))
	}
	cfg, err := config.Load(*configFile)
	if err != nil {
		return err
	}
	var centres []string
	for _, c := range fs.Args()[1:] {
		code := strings.ToUpper(c)
		if _, ok := cfg.Centre(code); !ok {
			return fmt.Errorf("invite: no centre %q in %s", c, *configFile)
		}
		centres = append(centres, code)
	}
	switch {
	case role == shakwa.RoleManager && len(centres) > 0:
		return errors.New("invite: a manager oversees every centre; name none")
	case role != shakwa.RoleManager && len(centres) == 0:
		return fmt.Errorf("invite: a %s serves centres; name at least one", role)
	}
	store, err := storage.Open(ctx, or(getenv("REDIS_URL"), "redis://127.0.0.1:6379/0"))
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	defer store.Close()
	code, err := handlers.NewInviteCode()
	if err != nil {
		return err
	}
	inv := shakwa.Invite{Role: role, Centres: centres, By: handlers.InviteBy, At: time.Now()}
	if err := store.CreateInvite(ctx, code, inv, 24*time.Hour); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s\nvalid once, for 24 hours: the new %s sends the bot, in a private chat on Telegram: /join %s\n", code, role, code)
	return nil
}
