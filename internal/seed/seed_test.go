package seed_test

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/handlers"
	"github.com/shakwa/shakwa/internal/seed"
	"github.com/shakwa/shakwa/storage"
	"github.com/shakwa/shakwa/storage/storagetest"
)

// world is a generated world of n centres, with the configuration that
// lists them, made on the example configuration.
func world(t testing.TB, n int) (seed.World, *config.Config) {
	t.Helper()
	base, err := config.Parse(shakwa.ExampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	w, err := seed.Generate(base, n, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(seed.Config(base, w))
	if err != nil {
		t.Fatalf("the written configuration does not read back: %v", err)
	}
	return w, cfg
}

// seedNow is the end of the seeded span: a Sunday morning in Dubai.
var seedNow = time.Date(2026, 11, 22, 6, 30, 0, 0, time.UTC)

// testStore is a Store with the tallies of cfg and keys of its own, and a
// raw client on the same Redis.
type testStore struct {
	*storage.Store
	rdb    redis.UniversalClient
	prefix string
}

func open(t *testing.T, cfg *config.Config) testStore {
	t.Helper()
	url := storagetest.URL(t)
	o, err := storage.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewUniversalClient(o)
	prefix := storagetest.Prefix(t)
	s, err := storage.New(context.Background(), rdb, storage.WithPrefix(prefix), storage.WithTallier(handlers.TallyModel(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.Close()
		storagetest.Clean(t, url, prefix)
	})
	return testStore{s, rdb, prefix}
}

// tallies reads every tally key of s: hashes and the open sets.
func (s testStore) tallies(t *testing.T) map[string]any {
	t.Helper()
	ctx := context.Background()
	keys, err := s.rdb.Keys(ctx, s.prefix+"agg:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	for _, k := range keys {
		if strings.HasSuffix(k, ":open") {
			out[k] = s.rdb.ZRangeWithScores(ctx, k, 0, -1).Val()
		} else {
			out[k] = storagetest.InOrder(s.rdb.HGetAll(ctx, k).Val())
		}
	}
	return out
}

// TestSeedWorld: generated centres have codes the configuration takes,
// staff and targets; the configuration written for them reads back with
// every centre, its staff and a manager who oversees them all.
func TestSeedWorld(t *testing.T) {
	for _, tc := range []struct {
		i    int
		want string
	}{{0, "CAAA"}, {1, "CAAB"}, {26, "CABA"}, {599, "CAXB"}} {
		if got := seed.Code(tc.i); got != tc.want {
			t.Errorf("Code(%d) = %s; want %s", tc.i, got, tc.want)
		}
	}
	w, cfg := world(t, 600)
	if len(cfg.Centres) != 600 || cfg.Centres[599].Code != seed.Code(599) {
		t.Fatalf("the configuration has %d centres; want the 600 generated", len(cfg.Centres))
	}
	m, ok := cfg.Person(seed.ManagerID)
	if !ok || m.Role != shakwa.RoleManager || !m.Serves("CAXB") {
		t.Errorf("manager %+v, %v; want one who oversees every centre", m, ok)
	}
	again, err := seed.FromConfig(cfg, 600)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, w) {
		t.Error("the world read from the written configuration is not the one generated")
	}
	if _, err := seed.FromConfig(cfg, 601); err == nil {
		t.Error("FromConfig of more centres than configured: no error")
	}
}

// TestSeedRealistic: the tickets look like a year of real ones: spread
// over the days, more on weekdays and by day, on every channel; most
// claimed within the hour and resolved within days, some transferred,
// rejected, reopened or left open, most rated, better at some centres
// than at others; feedback and thanks to staff members beside them. The
// tallies written are the ones a rebuild makes from the tickets.
func TestSeedRealistic(t *testing.T) {
	w, cfg := world(t, 12)
	s := open(t, cfg)
	ctx := context.Background()
	p := seed.Plan{World: w, Tickets: 3000, Days: 90, Seed: 5, Now: seedNow, Loc: cfg.Location, Workers: 8}
	var last [2]int
	res, err := seed.Run(ctx, s, p, func(done, total int) { last = [2]int{done, total} })
	if err != nil {
		t.Fatal(err)
	}
	if res.Tickets != 3000 || last != [2]int{3000, 3000} || res.Feedback < 200 {
		t.Errorf("result %+v, last progress %v; want 3000 tickets, about 300 feedback, progress to the end", res, last)
	}
	from := seedNow.AddDate(0, 0, -p.Days-1)
	ts, err := s.TicketsCreated(ctx, from, seedNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 3000 {
		t.Fatalf("%d tickets in the span; want 3000", len(ts))
	}
	var c counter
	for _, tk := range ts {
		c.add(t, tk, cfg.Location)
	}
	c.check(t)

	fb, err := s.FeedbackCreated(ctx, from, seedNow)
	if err != nil {
		t.Fatal(err)
	}
	thanks, stars := 0, 0
	for _, f := range fb {
		switch {
		case f.Kind == shakwa.KindThanks && f.Staff != "":
			thanks++
		case f.Kind == shakwa.KindFeedback && f.Stars > 0:
			stars++
		}
	}
	if thanks < len(fb)/4 || stars < len(fb)/3 {
		t.Errorf("%d thanks to a staff member and %d rated feedback of %d", thanks, stars, len(fb))
	}

	// The records (agg:{C}:r) are left out: a rebuild keeps no
	// tombstones in the centres a transferred ticket left.
	before, after := s.tallies(t), map[string]any{}
	if err := s.RebuildTallies(ctx, nil, nil); err != nil {
		t.Fatal(err)
	}
	for k, v := range s.tallies(t) {
		if !strings.HasSuffix(k, ":r") {
			after[k] = v
		}
	}
	maps.DeleteFunc(before, func(k string, _ any) bool { return strings.HasSuffix(k, ":r") })
	if len(before) < 100 || !reflect.DeepEqual(before, after) {
		t.Errorf("%d tally keys seeded, %d rebuilt; they differ or are too few", len(before), len(after))
	}
}

// counter adds up what TestSeedRealistic checks.
type counter struct {
	n, weekday, weekend, daytime    int
	channels                        map[string]int
	claimed, resolved, rated, open  int
	transferred, reopened, rejected int
	noResolveTime                   int
	claimTimes, resolveTimes        []time.Duration
	starSum, starN                  map[string]int
}

func (c *counter) add(t *testing.T, tk *shakwa.Ticket, loc *time.Location) {
	if c.channels == nil {
		c.channels, c.starSum, c.starN = map[string]int{}, map[string]int{}, map[string]int{}
	}
	c.n++
	c.channels[tk.Channel]++
	local := tk.Created.In(loc)
	switch local.Weekday() {
	case time.Saturday, time.Sunday:
		c.weekend++
	default:
		c.weekday++
	}
	if h := local.Hour(); h >= 7 && h < 21 {
		c.daytime++
	}
	if !tk.Updated.Before(seedNow) {
		t.Errorf("%s changed at %v, after now", tk.ID, tk.Updated)
	}
	if !tk.Claimed.IsZero() {
		c.claimed++
		c.claimTimes = append(c.claimTimes, tk.Claimed.Sub(tk.Created))
	}
	switch {
	case tk.Status.Open():
		c.open++
	case strings.HasPrefix(tk.Resolution, "مرفوض"):
		c.rejected++
	}
	if tk.Status == shakwa.StatusResolved || tk.Status == shakwa.StatusClosed {
		c.resolved++
		if tk.Resolved.IsZero() {
			c.noResolveTime++
		}
		c.resolveTimes = append(c.resolveTimes, tk.Resolved.Sub(tk.Created))
	}
	if tk.Rating > 0 {
		c.rated++
		c.starSum[tk.Centre] += tk.Rating
		c.starN[tk.Centre]++
	}
	if !tk.Transferred.IsZero() {
		c.transferred++
	}
	if tk.Reopens > 0 {
		c.reopened++
	}
}

func (c *counter) check(t *testing.T) {
	t.Helper()
	for _, ch := range []string{"telegram", "whatsapp", "web"} {
		if c.channels[ch] < c.n/10 {
			t.Errorf("%d of %d tickets on %s; want at least a tenth", c.channels[ch], c.n, ch)
		}
	}
	// Five weekdays to two weekend days: per day, weekdays far busier.
	if perWeekday, perWeekend := float64(c.weekday)/5, float64(c.weekend)/2; perWeekday < 2*perWeekend {
		t.Errorf("%.0f tickets per weekday, %.0f per weekend day; want weekdays at least twice as busy", perWeekday, perWeekend)
	}
	if c.daytime < c.n*3/4 {
		t.Errorf("%d of %d tickets filed between 7:00 and 21:00; want three quarters", c.daytime, c.n)
	}
	for _, tc := range []struct {
		what     string
		got, min int
	}{
		{"claimed", c.claimed, c.n * 85 / 100},
		{"resolved or closed", c.resolved, c.n * 75 / 100},
		{"rated", c.rated, c.resolved / 2},
		{"transferred", c.transferred, c.n / 100},
		{"reopened", c.reopened, c.n / 200},
		{"rejected", c.rejected, c.n / 50},
		{"open", c.open, 10},
	} {
		if tc.got < tc.min {
			t.Errorf("%d of %d tickets %s; want at least %d", tc.got, c.n, tc.what, tc.min)
		}
	}
	if c.noResolveTime > 0 {
		t.Errorf("%d tickets resolved or closed without a resolution time", c.noResolveTime)
	}
	median := func(ds []time.Duration) time.Duration {
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	if m := median(c.claimTimes); m < time.Minute || m > 3*time.Hour {
		t.Errorf("median time to claim %v; want minutes to hours", m)
	}
	if m := median(c.resolveTimes); m < time.Hour || m > 5*24*time.Hour {
		t.Errorf("median time to resolve %v; want hours to days", m)
	}
	var avgs []float64
	for _, centre := range slices.Sorted(maps.Keys(c.starN)) {
		if n := c.starN[centre]; n >= 20 {
			avgs = append(avgs, float64(c.starSum[centre])/float64(n))
		}
	}
	if len(avgs) < 5 || slices.Max(avgs)-slices.Min(avgs) < 1 {
		t.Errorf("average ratings by centre %.2f; want centres a star or more apart", avgs)
	}
	t.Logf("%d tickets: channels %v, %d on weekdays, %d by day; %d claimed (median %v), %d resolved (median %v), "+
		"%d rated, %d transferred, %d reopened, %d rejected, %d open; ratings by centre %.2f",
		c.n, c.channels, c.weekday, c.daytime, c.claimed, median(c.claimTimes).Round(time.Second), c.resolved,
		median(c.resolveTimes).Round(time.Minute), c.rated, c.transferred, c.reopened, c.rejected, c.open, avgs)
}

// TestSeedDeterministic: the same plan makes the same tickets, under the
// same numbers, and the same tallies, however many writers; another seed
// makes others.
func TestSeedDeterministic(t *testing.T) {
	w, cfg := world(t, 6)
	ctx := context.Background()
	run := func(seedN uint64, workers int) ([]*shakwa.Ticket, map[string]any, testStore) {
		s := open(t, cfg)
		p := seed.Plan{World: w, Tickets: 600, Days: 30, Seed: seedN, Now: seedNow, Loc: cfg.Location, Workers: workers}
		if _, err := seed.Run(ctx, s, p, nil); err != nil {
			t.Fatal(err)
		}
		ts, err := s.TicketsCreated(ctx, seedNow.AddDate(0, 0, -31), seedNow)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range ts {
			tk.Citizen = "" // an opaque id: each store has its own key
		}
		tallies := map[string]any{}
		for k, v := range s.tallies(t) {
			tallies[strings.TrimPrefix(k, s.prefix)] = v
		}
		return ts, tallies, s
	}
	ts1, tal1, _ := run(9, 1)
	ts2, tal2, _ := run(9, 16)
	if len(ts1) != 600 || !reflect.DeepEqual(ts1, ts2) {
		t.Errorf("the same plan made %d and %d tickets, not the same", len(ts1), len(ts2))
	}
	if !reflect.DeepEqual(tal1, tal2) {
		t.Error("the same plan made other tallies")
	}
	ts3, _, _ := run(10, 16)
	if reflect.DeepEqual(ts1, ts3) {
		t.Error("another seed made the same tickets")
	}
}
