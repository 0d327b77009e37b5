package handlers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/files"
	"github.com/shakwa/shakwa/internal/seed"
	"github.com/shakwa/shakwa/storage"
	"github.com/shakwa/shakwa/storage/storagetest"
)

// The figures at scale: a manager of 600 centres asks for this month's
// figures (or ranking) of a year of tickets, end to end through the
// handler, on the real Redis of SHAKWA_TEST_REDIS. The tickets are
// written by the seed package, once per size into a Redis database of
// their own (scaleDB and up, flushed first), and kept there for the next
// run while they are the same. SHAKWA_BENCH_TICKETS lists the sizes
// (default 10000; e.g. 10000,1000000).
//
// Besides time and allocations each reports roundtrips/op and cmds/op
// (Redis round trips and commands per request), and the store's size:
// B/ticket (Redis used_memory grown by the seeding, per ticket) and
// tally-B/ticket (MEMORY USAGE of the tallies' keys, per ticket).

// scaleDB is the first Redis database of the scale benchmarks.
const scaleDB = 13

// scaleCentres and scaleDays are the seeded world: 600 centres, a year.
const (
	scaleCentres = 600
	scaleDays    = 365
	scaleSeed    = 1
)

// scaleNow is where the seeded year ends, and the handler's clock: late
// in a month, so that "this month" is most of one, and the same on every
// run, so that runs compare.
var scaleNow = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) // 14:00 in Dubai

func BenchmarkStatsMonth(b *testing.B)   { benchReport(b, "/stats month", false) }
func BenchmarkRankingMonth(b *testing.B) { benchReport(b, "/ranking month", false) }

// BenchmarkRankingQuality is /ranking with the example's quality
// programme on: every centre has this month's self-assessment and two
// mystery-shopper visits, one released.
func BenchmarkRankingQuality(b *testing.B) { benchReport(b, "/ranking month", true) }

// benchReport measures command from the manager at every size asked for,
// with the quality programme on when quality is true.
func benchReport(b *testing.B, command string, quality bool) {
	for i, n := range scaleSizes(b) {
		b.Run("tickets="+strconv.Itoa(n), func(b *testing.B) {
			sc := scaleStore(b, n, scaleDB+i)
			if quality {
				seedQualityScale(b, &sc)
			}
			h := New(sc.cfg, sc.store, strictText(b), func() time.Time { return scaleNow },
				slog.New(slog.NewJSONHandler(io.Discard, nil)), Options{Files: sc.files})
			ask := func(text string) []bot.Reply {
				m := bot.Message{ID: "1", Channel: "telegram", Chat: strconv.Itoa(seed.ManagerID), Text: text,
					From: bot.User{ID: strconv.Itoa(seed.ManagerID), Lang: "ar"}}
				var rs bot.Replies
				h.Handle(context.Background(), &rs, &m)
				if rs.Err != nil || len(rs.List) == 0 {
					b.Fatalf("%s: %d replies, %v", text, len(rs.List), rs.Err)
				}
				return rs.List
			}
			name, _, _ := strings.Cut(command, " ")
			got := ask(command)[0].Text
			if got == ask("/no_such_command")[0].Text || got == ask(name + " not-a-period-at-all")[0].Text {
				b.Skipf("%s answers with its usage or the help: not there yet?\n%s", name, got)
			}
			b.ReportAllocs()
			sc.trips.reset()
			for b.Loop() {
				ask(command)
			}
			trips, cmds := sc.trips.load()
			b.ReportMetric(float64(trips)/float64(b.N), "roundtrips/op")
			b.ReportMetric(float64(cmds)/float64(b.N), "cmds/op")
			b.ReportMetric(sc.bytes/float64(n), "B/ticket")
			b.ReportMetric(sc.tallyBytes/float64(n), "tally-B/ticket")
		})
	}
}

// scaleSizes reads SHAKWA_BENCH_TICKETS.
func scaleSizes(b *testing.B) []int {
	v := os.Getenv("SHAKWA_BENCH_TICKETS")
	if v == "" {
		return []int{10000}
	}
	var out []int
	for f := range strings.SplitSeq(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			b.Fatalf("SHAKWA_BENCH_TICKETS=%q: want ticket counts, comma separated", v)
		}
		out = append(out, n)
	}
	if len(out) > 16-scaleDB {
		b.Fatalf("SHAKWA_BENCH_TICKETS=%q: at most %d sizes (Redis databases %d and up)", v, 16-scaleDB, scaleDB)
	}
	return out
}

// scaled is a seeded store and what it was seeded with.
type scaled struct {
	cfg               *config.Config
	store             *storage.Store
	files             *files.Store
	trips             *roundTrips
	bytes, tallyBytes float64 // Redis memory the seeding took, and the tallies' part
}

// scaleMark is the key that says what a database was seeded with.
const scaleMark = "bench:seeded"

// scaleStore returns a store on Redis database db holding n seeded
// tickets: those of an earlier run when its mark says they are the same,
// else written now.
func scaleStore(b *testing.B, n, db int) scaled {
	ctx := context.Background()
	o, err := storage.ParseURL(storagetest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	o.DB, o.PoolSize = db, 80
	rdb := redis.NewUniversalClient(o)
	base, err := config.Parse(shakwa.ExampleConfig)
	if err != nil {
		b.Fatal(err)
	}
	w, err := seed.Generate(base, scaleCentres, scaleSeed)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Parse(seed.Config(base, w))
	if err != nil {
		b.Fatal(err)
	}
	m := TallyModel(cfg)
	what := fmt.Sprintf("seed/%s tickets=%d centres=%d days=%d seed=%d now=%s %s", seed.Version, n, scaleCentres, scaleDays, scaleSeed,
		scaleNow.Format(time.RFC3339), m.Fingerprint())
	mark, err := rdb.HGetAll(ctx, scaleMark).Result()
	if err != nil {
		b.Fatal(err)
	}
	sc := scaled{cfg: cfg, trips: &roundTrips{}}
	if mark["what"] != what {
		mark = seedScale(b, o, rdb, w, cfg, n, what)
	}
	sc.bytes, _ = strconv.ParseFloat(mark["bytes"], 64)
	sc.tallyBytes, _ = strconv.ParseFloat(mark["tally"], 64)
	rdb.AddHook(sc.trips)
	if sc.store, err = storage.New(ctx, rdb, storage.WithTallier(m)); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sc.store.Close() })
	if sc.files, err = files.Open(b.TempDir(), 0); err != nil {
		b.Fatal(err)
	}
	return sc
}

// seedScale empties the database of rdb (whose options are o), seeds it
// with n tickets of w and marks it, with the memory the tickets took.
func seedScale(b *testing.B, o *redis.UniversalOptions, rdb redis.UniversalClient, w seed.World, cfg *config.Config, n int, what string) map[string]string {
	ctx := context.Background()
	// Emptying a million tickets keeps Redis busy for seconds: longer
	// than a client waits for an answer.
	slow := *o
	slow.ReadTimeout = 10 * time.Minute
	flusher := redis.NewUniversalClient(&slow)
	defer flusher.Close()
	if err := flusher.FlushDB(ctx).Err(); err != nil {
		b.Fatal(err)
	}
	before, err := seed.UsedMemory(ctx, rdb)
	if err != nil {
		b.Fatal(err)
	}
	m := TallyModel(cfg)
	store, err := storage.New(ctx, rdb, storage.WithTallier(m))
	if err != nil {
		b.Fatal(err)
	}
	p := seed.Plan{World: w, Tickets: n, Days: scaleDays, Seed: scaleSeed, Now: scaleNow, Loc: cfg.Location,
		CloseAfter: time.Duration(cfg.CloseAfter), ReopenDays: cfg.ReopenDays}
	res, err := seed.Run(ctx, store, p, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := store.SetTallyMark(ctx, m.Fingerprint()); err != nil {
		b.Fatal(err)
	}
	after, err := seed.UsedMemory(ctx, rdb)
	if err != nil {
		b.Fatal(err)
	}
	kinds, err := seed.KeyMemory(ctx, rdb, "")
	if err != nil {
		b.Fatal(err)
	}
	var tally, all int64
	var lines []string
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		v := kinds[k]
		all += v.Bytes
		if strings.HasPrefix(k, "agg:") {
			tally += v.Bytes
		}
		lines = append(lines, fmt.Sprintf("%-24s %9d keys %12d B", k, v.Keys, v.Bytes))
	}
	b.Logf("seeded %d tickets and %d feedback in %s; used_memory %d -> %d (%.0f B/ticket); MEMORY USAGE: tallies %d B of %d B (%.0f%%)\n%s",
		res.Tickets, res.Feedback, res.Took.Round(time.Millisecond), before, after, float64(after-before)/float64(n),
		tally, all, 100*float64(tally)/float64(max(all, 1)), strings.Join(lines, "\n"))
	mark := map[string]string{"what": what,
		"bytes": strconv.FormatInt(after-before, 10), "tally": strconv.FormatInt(tally, 10), "took": res.Took.String()}
	if err := rdb.HSet(ctx, scaleMark, mark).Err(); err != nil {
		b.Fatal(err)
	}
	return mark // store shares rdb, which the caller goes on with
}

// roundTrips is a go-redis hook that counts round trips (a command or a
// pipeline) and commands.
type roundTrips struct{ trips, cmds atomic.Int64 }

func (r *roundTrips) reset() { r.trips.Store(0); r.cmds.Store(0) }

func (r *roundTrips) load() (trips, cmds int64) { return r.trips.Load(), r.cmds.Load() }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.trips.Add(1)
		r.cmds.Add(1)
		return next(ctx, cmd)
	}
}

func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.trips.Add(1)
		r.cmds.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// seedQualityScale turns the example's quality programme on for sc and
// gives every centre this month's self-assessment, done, and two visits,
// one released; once per database (the first centre's month says).
func seedQualityScale(b *testing.B, sc *scaled) {
	ctx := context.Background()
	base, err := config.Parse(shakwa.ExampleConfig)
	if err != nil {
		b.Fatal(err)
	}
	sc.cfg.Quality = base.Quality
	q := &sc.cfg.Quality
	month := scaleNow.In(sc.cfg.Location).Format("2006-01")
	if a, err := sc.store.Assessment(ctx, sc.cfg.Centres[0].Code, month); err != nil || !a.Done.IsZero() {
		return
	}
	marks := []string{shakwa.MarkMet, shakwa.MarkPartly, shakwa.MarkUnmet}
	for i, ce := range sc.cfg.Centres {
		for j, st := range q.Standards {
			a := shakwa.Answer{Criterion: st.Code, Mark: marks[(i+j)%3], Reason: "…", Owner: "…", Priority: st.Priority,
				Weight: st.Weight, By: "1", At: scaleNow}
			if _, _, err := sc.store.AnswerAssessment(ctx, ce.Code, month, a, q.StandardCodes()); err != nil {
				b.Fatal(err)
			}
		}
		for k := range 2 {
			day := time.Date(2026, 11, 3+k, 0, 0, 0, 0, sc.cfg.Location)
			v := &shakwa.Visit{Centre: ce.Code, Day: day.Format(time.DateOnly), Channel: "visit", By: "1", Filed: scaleNow}
			for _, qu := range q.VisitForm {
				v.Scores = append(v.Scores, shakwa.VisitScore{Question: qu.Code, Value: 3, Score: qu.Score(3),
					Priority: qu.Priority, Weight: qu.Weight})
			}
			if err := sc.store.AddVisit(ctx, v, day, ""); err != nil {
				b.Fatal(err)
			}
			if k == 0 {
				if _, _, err := sc.store.ReleaseVisit(ctx, v.ID, "1", scaleNow); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}
