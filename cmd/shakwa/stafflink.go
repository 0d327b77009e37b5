package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot/web"
	"github.com/shakwa/shakwa/config"
)

// staffLink is "shakwa staff-link [-config FILE] [-hours N] PERSON-ID": it
// prints on stdout the path that signs the configured person in to the
// web staff panel of a `serve` that shares WEB_CHAT_SECRET, for N hours
// (whose link it is, and until when, on stderr). It is for
// deployments whose staff are not on Telegram; the link is handed to the
// person as a password would be.
//
// With -revoke it makes no link: it records in Redis (REDIS_URL) that
// every link made for the person until now, and every sign-in those
// made, is void (see revokeStaffLinks).
func staffLink(ctx context.Context, args []string, getenv func(string) string, now func() time.Time, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("shakwa staff-link", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", or(getenv("SHAKWA_CONFIG"), "config.yaml"), "configuration `file` (env SHAKWA_CONFIG)")
	hours := fs.Int("hours", 12, "how many `hours` the link, and the sign-in it makes, last (1 to 720)")
	revoke := fs.Bool("revoke", false, "make no link: void every link and sign-in of the person made until now (needs REDIS_URL)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: shakwa staff-link [-config FILE] [-hours N] PERSON-ID")
		fmt.Fprintln(stderr, "       shakwa staff-link -revoke [-config FILE] PERSON-ID")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("staff-link: want one person's id, as in the configuration's people")
	}
	if *revoke {
		hoursSet := false
		fs.Visit(func(f *flag.Flag) { hoursSet = hoursSet || f.Name == "hours" })
		if hoursSet {
			return errors.New("staff-link: -revoke makes no link, so takes no -hours")
		}
		return revokeStaffLinks(ctx, *configFile, fs.Arg(0), getenv, now, stdout, stderr)
	}
	if *hours < 1 || *hours > 720 {
		return errors.New("staff-link: -hours from 1 to 720")
	}
	e := env{WebSecret: getenv("WEB_CHAT_SECRET")}
	if e.WebSecret == "" {
		return errors.New("staff-link: WEB_CHAT_SECRET is not set (the same as the server's)")
	}
	secret, err := webSecret(e)
	if err != nil {
		return err
	}
	cfg, err := config.Load(*configFile)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil {
		return fmt.Errorf("staff-link: %q is not a person's id", fs.Arg(0))
	}
	if _, ok := cfg.Person(id); !ok {
		return fmt.Errorf("staff-link: no person %d in %s", id, *configFile)
	}
	issued := now()
	exp := issued.Add(time.Duration(*hours) * time.Hour)
	fmt.Fprintf(stderr, "person %d, valid until %s (open it on the server's address):\n",
		id, exp.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintln(stdout, web.StaffLink(secret, strconv.FormatInt(id, 10), issued, exp))
	return nil
}

// revokeStaffLinks is "shakwa staff-link -revoke [-config FILE]
// PERSON-ID": it records that the person's staff links and sign-ins made
// until now are void, and says so on stdout. A `serve` on the same Redis
// refuses them from the next request on (the audit log records it), and ends their open event
// streams within a heartbeat; links made afterwards work. The person need
// not be in the configuration any more (they are told apart on stderr):
// a link of theirs would work again were they added back.
func revokeStaffLinks(ctx context.Context, configFile, arg string, getenv func(string) string, now func() time.Time, stdout, stderr io.Writer) error {
	cfg, err := config.Load(configFile)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil {
		return fmt.Errorf("staff-link: %q is not a person's id", arg)
	}
	store, err := adminStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer store.Close()
	at := now()
	if err := store.RevokeStaff(ctx, strconv.FormatInt(id, 10), at); err != nil {
		return fmt.Errorf("staff-link: %w", err)
	}
	entry := shakwa.AuditEntry{At: at, Kind: "signins_revoked", By: "server", Who: strconv.FormatInt(id, 10), Via: "web"}
	if err := store.Audit(ctx, entry); err != nil {
		// The revocation stands: only its record is missing.
		fmt.Fprintf(stderr, "revoked, but not recorded in the audit log: %v\n", err)
	}
	if _, ok := cfg.Person(id); !ok {
		fmt.Fprintf(stderr, "person %d is not in %s: revoked all the same, in case they are added again\n", id, configFile)
	}
	fmt.Fprintf(stdout, "person %d: staff links and sign-ins made until %s are void\n",
		id, at.UTC().Format("2006-01-02 15:04:05 UTC"))
	return nil
}
