// Command shakwa runs the complaint bot; see usage for its commands.
//
// Secrets and addresses come from the environment; see README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // the centres' time zone, even where the image has no zoneinfo
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "shakwa:", err)
		os.Exit(1)
	}
}

// env is the environment the program reads, once, here.
type env struct {
	ConfigFile    string
	TelegramToken string
	TelegramAPI   string
	WebhookURL    string
	WebhookSecret string
	RedisURL      string
	HTTPAddr      string
	WebSecret     string // WEB_CHAT_SECRET: enables the web chat in serve
	WebProxy      bool   // WEB_CHAT_TRUST_PROXY: client addresses from X-Forwarded-For
	WhatsApp      whatsappEnv
	FilesDir      string // FILES_DIR: where files' bytes are kept (demo: a temporary directory)
	FilesMax      int64  // FILES_MAX_MB, in bytes
	PprofAddr     string // PPROF_ADDR: Go's profiler, on an address of its own
	MetricsToken  string // METRICS_TOKEN: /metrics only with "Authorization: Bearer" it
	LogLevel      slog.Level
	Demo          bool
	Stderr        io.Writer // for the few lines meant for the operator's eyes
}

// usage lists the commands, one line each.
const usage = `shakwa: complaints and feedback for service centres, over Telegram, WhatsApp and a web chat.

Usage:
  shakwa demo  [-config FILE]    try it on this machine: the web chat and a staff panel, no token, no Redis needed
  shakwa serve [-config FILE]    run the bot: Telegram, Redis, and WhatsApp and the web chat when configured
  shakwa tallies rebuild [-config FILE]   recount the figures from the tickets (after an upgrade, or to check them)
  shakwa staff-link [-revoke] PERSON-ID   a sign-in link to the web staff panel, where staff are not on Telegram; -revoke voids all made so far
  shakwa check-config FILE       validate a configuration file without starting (for deployment pipelines)
  shakwa health                  ask the bot on this machine (HTTP_ADDR) for /healthz: fails unless it answers, for container health checks
  shakwa invite ROLE [CENTRE...] a one-time code that gives a role to whoever sends the bot /join CODE
  shakwa reindex [-dry-run]      put every ticket back in the indexes it belongs in (after a crash)
  shakwa dead-letters [list|retry] [-since 168h] [-dry-run]   what could not be delivered; send it again
  shakwa export -out DIR [PERIOD] [CENTRE]   the files /export sends, written to DIR
  shakwa seed  [-tickets N ...]  write synthetic tickets into a Redis, to try and measure the reports
  shakwa bench [-c 50 ...]       load the real bot through its webhook and say how fast it answers
  shakwa version                 the version of this build and the commit it was built from

Each command's flags: shakwa COMMAND -h. Secrets and addresses come from the
environment (TELEGRAM_BOT_TOKEN, REDIS_URL, ...): see README.md.
`

// run is the whole program: it parses args and the environment, wires
// everything and runs until ctx is done. What a command was asked for (a
// code, a link, a summary, a list) goes to stdout, so that a script can
// capture it; usage, logs and progress go to stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		return nil
	}
	cmd := args[0]
	switch {
	case cmd == "-version" || cmd == "--version":
		cmd, args = "version", args[1:]
	case serveFlag(cmd): // shakwa -config FILE: serve, as it was before commands had names
		cmd = "serve"
	case strings.HasPrefix(cmd, "-"):
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown flag %s: a command comes first, its flags after it (shakwa COMMAND -h)", cmd)
	default:
		args = args[1:]
	}
	if cmd == "version" {
		return printVersion(args, stdout)
	}
	if cmd == "seed" { // flags of its own
		return seedData(ctx, args, getenv, stdout, stderr)
	}
	if cmd == "bench" {
		return bench(ctx, args, stdout, stderr)
	}
	if cmd == "staff-link" {
		return staffLink(ctx, args, getenv, time.Now, stdout, stderr)
	}
	if cmd == "check-config" {
		return checkConfig(args, getenv, stdout, stderr)
	}
	if cmd == "health" {
		return health(ctx, args, getenv, stderr)
	}
	if cmd == "invite" {
		return invite(ctx, args, getenv, stdout, stderr)
	}
	if cmd == "reindex" {
		return reindex(ctx, args, getenv, stdout, stderr)
	}
	if cmd == "dead-letters" {
		return deadLetters(ctx, args, getenv, stdout, stderr)
	}
	if cmd == "export" {
		return exportToDisk(ctx, args, getenv, stdout, stderr)
	}
	if cmd != "serve" && cmd != "demo" && cmd != "tallies" {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q (want serve, demo, tallies, staff-link, check-config, health, invite, reindex, dead-letters, export, seed, bench or version)", cmd)
	}
	name, configFile, err := parseServe(cmd, args, getenv, stderr)
	if name == "" || err != nil {
		return err // nil for -h: the usage is printed, and asking for it is no failure
	}
	e := env{
		ConfigFile:    configFile,
		TelegramToken: getenv("TELEGRAM_BOT_TOKEN"),
		TelegramAPI:   or(getenv("TELEGRAM_API_URL"), "https://api.telegram.org"),
		WebhookURL:    getenv("TELEGRAM_WEBHOOK_URL"),
		WebhookSecret: getenv("TELEGRAM_WEBHOOK_SECRET"),
		RedisURL:      getenv("REDIS_URL"),
		HTTPAddr:      getenv("HTTP_ADDR"),
		WebSecret:     getenv("WEB_CHAT_SECRET"),
		FilesDir:      getenv("FILES_DIR"),
		PprofAddr:     getenv("PPROF_ADDR"),
		MetricsToken:  getenv("METRICS_TOKEN"),
		Demo:          cmd == "demo",
		Stderr:        stderr,
	}
	if e.WebProxy, err = envBool(getenv, "WEB_CHAT_TRUST_PROXY"); err != nil {
		return err
	}
	if err = e.LogLevel.UnmarshalText([]byte(or(getenv("LOG_LEVEL"), "info"))); err != nil {
		return fmt.Errorf("LOG_LEVEL: %w", err)
	}
	if e.WhatsApp, err = readWhatsApp(getenv); err != nil {
		return err
	}
	mb, err := strconv.Atoi(or(getenv("FILES_MAX_MB"), "16"))
	if err != nil || mb < 1 || mb > 100 {
		return errors.New("FILES_MAX_MB: want a whole number of megabytes from 1 to 100")
	}
	e.FilesMax = int64(mb) << 20
	if cmd != "tallies" {
		if err := e.check(); err != nil { // before anything connects, which may fail slowly
			return err
		}
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: e.LogLevel}))
	switch cmd {
	case "serve":
		if e.TelegramToken == "" && e.WebSecret == "" {
			return errors.New("TELEGRAM_BOT_TOKEN is not set, nor WEB_CHAT_SECRET for staff on the web (to try shakwa without either: shakwa demo)")
		}
		e.ConfigFile = or(e.ConfigFile, "config.yaml")
		e.RedisURL = or(e.RedisURL, "redis://127.0.0.1:6379/0")
		e.HTTPAddr = or(e.HTTPAddr, ":8080")
		e.FilesDir = or(e.FilesDir, "data/files")
		return serve(ctx, e, log)
	case "demo":
		e.HTTPAddr = or(e.HTTPAddr, "127.0.0.1:8080")
		return serve(ctx, e, log)
	}
	// tallies rebuild
	e.ConfigFile = or(e.ConfigFile, "config.yaml")
	e.RedisURL = or(e.RedisURL, "redis://127.0.0.1:6379/0")
	return rebuildTallies(ctx, e, log)
}

// serveFlag reports whether arg is serve's -config, which may come first
// with no command named.
func serveFlag(arg string) bool {
	name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
	return strings.HasPrefix(arg, "-") && name == "config"
}

// serveUsage is the usage line of serve, demo or tallies rebuild, and
// what it reads when neither -config nor SHAKWA_CONFIG is set.
func serveUsage(cmd string) (line, otherwise string) {
	switch cmd {
	case "demo":
		return "usage: shakwa demo [-config FILE]", "the built-in example"
	case "tallies":
		return "usage: shakwa tallies rebuild [-config FILE]   (recounts the figures from the tickets)", "config.yaml"
	}
	return "usage: shakwa serve [-config FILE]   (secrets and addresses from the environment: see README.md)", "config.yaml"
}

// parseServe parses the arguments of serve, demo or tallies (whose
// command, rebuild, comes first) and returns the command's name and its
// configuration file ("" unless -config or SHAKWA_CONFIG is set). The
// name is "" after -h, whose usage is printed. Arguments other than
// flags are refused: a configuration file named with no -config would
// otherwise be ignored.
func parseServe(cmd string, args []string, getenv func(string) string, stderr io.Writer) (string, string, error) {
	name := "shakwa " + cmd
	line, otherwise := serveUsage(cmd)
	if cmd == "tallies" {
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			if args[0] != "rebuild" {
				return "", "", fmt.Errorf("tallies: unknown command %q (%s)", args[0], line)
			}
			name, args = name+" rebuild", args[1:]
		}
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, line)
		fs.PrintDefaults()
	}
	configFile := fs.String("config", getenv("SHAKWA_CONFIG"),
		"configuration `file` (default: SHAKWA_CONFIG, else "+otherwise+")")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return "", "", nil
	} else if err != nil {
		return "", "", err
	}
	if cmd == "tallies" && name == "shakwa tallies" {
		return "", "", errors.New(line)
	}
	if fs.NArg() > 0 {
		return "", "", fmt.Errorf("%s: unexpected argument %q (did you mean -config FILE?)", strings.TrimPrefix(name, "shakwa "), fs.Arg(0))
	}
	return name, *configFile, nil
}

// envBool reads the environment variable name as a boolean (true, false,
// 1, 0, as strconv.ParseBool takes them); unset is false.
func envBool(getenv func(string) string, name string) (bool, error) {
	v := getenv(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s: want true or false, not %q", name, v)
	}
	return b, nil
}

// check refuses the values of the environment that serve would refuse
// later, once it had connected to Redis: WEB_CHAT_SECRET and
// TELEGRAM_WEBHOOK_URL.
func (e env) check() error {
	if e.WebSecret != "" {
		if _, err := webSecret(e); err != nil {
			return err
		}
	}
	if e.WebhookURL != "" {
		if err := webhookRoute(http.NewServeMux(), http.NotFoundHandler(), e.WebhookURL); err != nil {
			return err
		}
	}
	return nil
}

// whatsappEnv is the WhatsApp channel's part of the environment; the
// channel is on when Token is set.
type whatsappEnv struct {
	Token, PhoneID, AppSecret, VerifyToken string
	APIURL, WebhookPath                    string
}

// readWhatsApp reads the WHATSAPP_ variables: the four secrets all or
// none, so that a half-configured channel stops the start-up, naming what
// is missing.
func readWhatsApp(getenv func(string) string) (whatsappEnv, error) {
	w := whatsappEnv{
		Token: getenv("WHATSAPP_TOKEN"), PhoneID: getenv("WHATSAPP_PHONE_NUMBER_ID"),
		AppSecret: getenv("WHATSAPP_APP_SECRET"), VerifyToken: getenv("WHATSAPP_VERIFY_TOKEN"),
		APIURL: getenv("WHATSAPP_API_URL"), WebhookPath: or(getenv("WHATSAPP_WEBHOOK_PATH"), "/whatsapp/webhook"),
	}
	var set, missing []string
	for _, v := range []struct{ name, value string }{{"WHATSAPP_TOKEN", w.Token}, {"WHATSAPP_PHONE_NUMBER_ID", w.PhoneID},
		{"WHATSAPP_APP_SECRET", w.AppSecret}, {"WHATSAPP_VERIFY_TOKEN", w.VerifyToken}} {
		if v.value == "" {
			missing = append(missing, v.name)
		} else {
			set = append(set, v.name)
		}
	}
	if len(set) > 0 && len(missing) > 0 {
		return whatsappEnv{}, fmt.Errorf("WhatsApp is half configured: %s set, %s missing",
			strings.Join(set, ", "), strings.Join(missing, ", "))
	}
	if !strings.HasPrefix(w.WebhookPath, "/") {
		return whatsappEnv{}, errors.New("WHATSAPP_WEBHOOK_PATH: want a path starting with /")
	}
	return w, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// shutdownTimeout bounds how long in-flight work may take after a signal.
const shutdownTimeout = 15 * time.Second

// pollTimeout is the Telegram long-poll timeout when there is no webhook.
const pollTimeout = 30 * time.Second
