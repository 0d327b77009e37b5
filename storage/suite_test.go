package storage_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/storage"
	"github.com/shakwa/shakwa/storage/storagetest"
)

// fixture is a Store with keys of its own, and a raw client on the same
// Redis for looking behind the Store's back.
type fixture struct {
	s      *storage.Store
	rdb    redis.UniversalClient
	prefix string
	// reopen opens another Store, with a connection of its own, on the
	// same Redis.
	reopen func(context.Context, ...storage.Option) (*storage.Store, error)
}

// keys lists the fixture's keys that match pattern (after the prefix), on
// every primary of a cluster.
func (f *fixture) keys(t *testing.T, pattern string) []string {
	t.Helper()
	var mu sync.Mutex
	var out []string
	scan := func(c context.Context, rdb redis.Cmdable) error {
		ks, err := rdb.Keys(c, f.prefix+pattern).Result()
		mu.Lock()
		out = append(out, ks...)
		mu.Unlock()
		return err
	}
	var err error
	if cc, ok := f.rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx(t), func(c context.Context, n *redis.Client) error { return scan(c, n) })
	} else {
		err = scan(ctx(t), f.rdb)
	}
	if err != nil {
		t.Fatalf("KEYS: %v", err)
	}
	return out
}

// opener makes a fresh fixture for one test.
type opener func(t *testing.T, opts ...storage.Option) *fixture

func openerFor(url string) opener {
	return func(t *testing.T, opts ...storage.Option) *fixture {
		t.Helper()
		o, err := storage.ParseURL(url)
		if err != nil {
			t.Fatalf("ParseURL(%q): %v", url, err)
		}
		f := &fixture{rdb: redis.NewUniversalClient(o), prefix: storagetest.Prefix(t)}
		f.reopen = func(c context.Context, opts ...storage.Option) (*storage.Store, error) {
			return storage.Open(c, url, opts...)
		}
		s, err := storage.New(ctx(t), f.rdb, append(opts, storage.WithPrefix(f.prefix))...)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		f.s = s
		t.Cleanup(func() {
			_ = f.s.Close() // some tests close it themselves
			storagetest.Clean(t, url, f.prefix)
		})
		return f
	}
}

func TestSingle(t *testing.T) {
	runSuite(t, openerFor(storagetest.URL(t)))
	t.Run("KilledConnections", func(t *testing.T) { testKilledConnections(t, openerFor(storagetest.URL(t))) })
}

func TestCluster(t *testing.T) {
	runSuite(t, openerFor(storagetest.ClusterURL(t)))
}

// TestMemory runs the suite on OpenMemory's in-process server; it needs no
// Redis, so it always runs.
func TestMemory(t *testing.T) {
	runSuite(t, func(t *testing.T, opts ...storage.Option) *fixture {
		t.Helper()
		f := &fixture{prefix: storagetest.Prefix(t)}
		s, stop, err := storage.OpenMemory(ctx(t), append(opts, storage.WithPrefix(f.prefix))...)
		if err != nil {
			t.Fatalf("OpenMemory: %v", err)
		}
		f.s, f.rdb = s, redis.NewClient(storage.MemoryOptions(s))
		f.reopen = func(_ context.Context, opts ...storage.Option) (*storage.Store, error) {
			return storage.New(ctx(t), redis.NewClient(storage.MemoryOptions(s)), opts...)
		}
		t.Cleanup(func() {
			_ = f.rdb.Close()
			stop()
		})
		return f
	})
}

// runSuite is the conformance suite every Redis deployment must pass.
func runSuite(t *testing.T, open opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, opener)
	}{
		{"Sessions", testSessions},
		{"Lang", testLang},
		{"IntakeLine", testIntakeLine},
		{"IntakeExpiry", testIntakeExpiry},
		{"IntakeRenewKeepsLine", testIntakeRenewKeepsLine},
		{"IntakeFailures", testIntakeFailures},
		{"Batch", testBatch},
		{"BatchTallies", testBatchTallies},
		{"PreloadCitizen", testPreloadCitizen},
		{"PreloadParties", testPreloadParties},
		{"ClaimAhead", testClaimAhead},
		{"CreateInCommit", testCreateInCommit},
		{"OutboxLanes", testOutboxLanes},
		{"OutboxPaceAcrossLanes", testOutboxPaceAcrossLanes},
		{"OutboxWait", testOutboxWait},
		{"OutboxForgotten", testOutboxForgotten},
		{"TransitionReplay", testTransitionReplay},
		{"TransitionReplyLost", testTransitionReplyLost},
		{"Jobs", testJobs},
		{"JobClaims", testJobClaims},
		{"TakeUntake", testTakeUntake},
		{"Lease", testLease},
		{"CreateOnce", testCreateOnce},
		{"NoAddressInKeys", testNoAddressInKeys},
		{"Refs", testRefs},
		{"CreateAndRead", testCreateAndRead},
		{"Sequences", testSequences},
		{"Transitions", testTransitions},
		{"Times", testTimes},
		{"ReopenWithoutHolder", testReopenWithoutHolder},
		{"CitizenIsolation", testCitizenIsolation},
		{"EventLogCap", testEventLogCap},
		{"History", testHistory},
		{"Erase", testErase},
		{"RetentionWaiting", testRetentionWaiting},
		{"RetentionResume", testRetentionResume},
		{"ForgetUntouched", testForgetUntouched},
		{"StaleKeepsNoRecord", testStaleKeepsNoRecord},
		{"Invites", testInvites},
		{"Reindex", testReindex},
		{"RetryDead", testRetryDead},
		{"ForgetPerson", testForgetPerson},
		{"ClaimRace", testClaimRace},
		{"ClaimCentres", testClaimCentres},
		{"RejectRace", testRejectRace},
		{"RejectClaimRace", testRejectClaimRace},
		{"ReassignRace", testReassignRace},
		{"Undelivered", testUndelivered},
		{"Count", testCount},
		{"InfoFiles", testInfoFiles},
		{"FileUse", testFileUse},
		{"QueueEnds", testQueueEnds},
		{"FirstHands", testFirstHands},
		{"Indexes", testIndexes},
		{"IndexTransfer", testIndexTransfer},
		{"StaleIndexEntries", testStaleIndexEntries},
		{"TimeRanges", testTimeRanges},
		{"Feedback", testFeedback},
		{"OutboxOrder", testOutboxOrder},
		{"SentRef", testSentRef},
		{"OutboxLease", testOutboxLease},
		{"EnqueueAll", testEnqueueAll},
		{"OutboxPaceAcrossBatches", testOutboxPaceAcrossBatches},
		{"OutboxRetryDead", testOutboxRetryDead},
		{"OutboxBudget", testOutboxBudget},
		{"DeadCap", testDeadCap},
		{"Reconnect", testReconnect},
		{"Mail", testMail},
		{"MailPages", testMailPages},
		{"MailTrim", testMailTrim},
		{"MailTTL", testMailTTL},
		{"StaffRevoked", testStaffRevoked},
		{"FileMap", testFileMap},
		{"Window", testWindow},
		{"OutboxHold", testOutboxHold},
		{"PagesAndDelivery", testPagesAndDelivery},
		{"Lines", testLines},
		{"Tallies", testTallies},
		{"RecentTallies", testRecentTallies},
		{"EachTicketCreated", testEachTicketCreated},
		{"Assessments", testAssessments},
		{"Visits", testVisits},
		{"DiscardVisit", testDiscardVisit},
		{"DiscardRace", testDiscardRace},
		{"ReindexVisits", testReindexVisits},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open)
		})
	}
}

// ctx returns a context that ends with the test.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// base is the tests' clock: nanoseconds and a zone, to check round trips.
var base = time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.FixedZone("AST", 3*60*60))

func at(minutes int) time.Time { return base.Add(time.Duration(minutes) * time.Minute) }

var (
	citizen  = shakwa.Address{Channel: "telegram", Chat: "1001"}
	stranger = shakwa.Address{Channel: "telegram", Chat: "2002"}
	fatima   = shakwa.Staff{ID: "501", Name: "Fatima"}
	omar     = shakwa.Staff{ID: "502", Name: "Omar"}
)

// newTicket creates a ticket in centre for citizen at time c.
func newTicket(t *testing.T, s *storage.Store, centre string, who shakwa.Address, c time.Time) *shakwa.Ticket {
	t.Helper()
	tk := &shakwa.Ticket{Centre: centre, Category: "delay", Text: "انتظرت ثلاث ساعات",
		Lang: "ar", Created: c, Updated: c}
	if err := s.CreateTicket(ctx(t), tk, who, ""); err != nil {
		t.Fatalf("CreateTicket: %v", err)
	}
	return tk
}

// mustGet reads ticket id.
func mustGet(t *testing.T, s *storage.Store, id string) *shakwa.Ticket {
	t.Helper()
	tk, err := s.Ticket(ctx(t), id)
	if err != nil {
		t.Fatalf("Ticket(%s): %v", id, err)
	}
	return tk
}

// ids lists the ids of ts.
func ids(ts []*shakwa.Ticket) []string {
	out := []string{}
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

// errKind names the error kind of err, for messages and comparisons.
func errKind(err error) string {
	for _, k := range []error{shakwa.ErrNotFound, shakwa.ErrConflict, shakwa.ErrInvalid, shakwa.ErrForbidden} {
		if errors.Is(err, k) {
			return k.Error()
		}
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return "nil"
}

func testSessions(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	if got, err := s.Session(c, "telegram:1"); got != nil || err != nil {
		t.Errorf("Session before save = %q, %v; want nil, nil", got, err)
	}
	data := []byte{0, 1, 0xff, 'x'}
	if err := s.SaveSession(c, "telegram:1", data, time.Minute); err != nil {
		t.Fatalf("SaveSession: %v", err)
	}
	if got, err := s.Session(c, "telegram:1"); string(got) != string(data) || err != nil {
		t.Errorf("Session = %q, %v; want %q, nil", got, err, data)
	}
	if got, _ := s.Session(c, "telegram:2"); got != nil {
		t.Errorf("Session of another = %q; want nil", got)
	}
	if err := s.SaveSession(c, "telegram:3", []byte("short"), 50*time.Millisecond); err != nil {
		t.Fatalf("SaveSession: %v", err)
	}
	time.Sleep(150 * time.Millisecond)
	if got, _ := s.Session(c, "telegram:3"); got != nil {
		t.Errorf("Session after TTL = %q; want nil", got)
	}
	if err := s.DeleteSession(c, "telegram:1"); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	if got, _ := s.Session(c, "telegram:1"); got != nil {
		t.Errorf("Session after delete = %q; want nil", got)
	}
	if err := s.DeleteSession(c, "telegram:1"); err != nil {
		t.Errorf("DeleteSession twice: got %v; want nil", err)
	}
}

func testLang(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	if got, err := s.Lang(c, citizen); got != "" || err != nil {
		t.Errorf("Lang unset = %q, %v; want \"\", nil", got, err)
	}
	for _, l := range []string{"en", "ar", ""} {
		if err := s.SetLang(c, citizen, l, time.Now()); err != nil {
			t.Fatalf("SetLang(%q): %v", l, err)
		}
		if got, _ := s.Lang(c, citizen); got != l {
			t.Errorf("Lang after SetLang(%q) = %q; want %q", l, got, l)
		}
	}
	if got, _ := s.Lang(c, stranger); got != "" {
		t.Errorf("Lang of another person = %q; want \"\"", got)
	}
	p, err := s.Person(c, s.PersonID(citizen))
	if err != nil || p.Address != citizen || p.ID != s.PersonID(citizen) {
		t.Errorf("Person after SetLang = %+v, %v; want the address kept", p, err)
	}
	if _, err := s.Person(c, s.PersonID(stranger)); !errors.Is(err, shakwa.ErrNotFound) {
		t.Errorf("Person of someone unknown: got %v; want ErrNotFound", err)
	}
}

func testRefs(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	if err := s.SetRef(c, "telegram:-100", "card:KRM-000001", "77", false); err != nil {
		t.Fatalf("SetRef: %v", err)
	}
	if err := s.SetRef(c, "telegram:-100", "card:KRM-000001", "78", false); err != nil {
		t.Fatalf("SetRef: %v", err)
	}
	// A trailing part of a long message leads back, but is not the target.
	if err := s.SetRef(c, "telegram:-100", "card:KRM-000001", "79", true); err != nil {
		t.Fatalf("SetRef: %v", err)
	}
	check := func(name, got, want string, err error) {
		t.Helper()
		if got != want || err != nil {
			t.Errorf("%s = %q, %v; want %q, nil", name, got, err, want)
		}
	}
	got, err := s.Ref(c, "telegram:-100", "card:KRM-000001")
	check("Ref", got, "78", err)
	got, err = s.RefOf(c, "telegram:-100", "78")
	check("RefOf(78)", got, "card:KRM-000001", err)
	got, err = s.RefOf(c, "telegram:-100", "77")
	check("RefOf(77)", got, "card:KRM-000001", err)
	got, err = s.RefOf(c, "telegram:-100", "79")
	check("RefOf(79), a trailing part", got, "card:KRM-000001", err)
	got, err = s.RefOf(c, "telegram:-200", "78")
	check("RefOf in another chat", got, "", err)
	got, err = s.Ref(c, "telegram:-100", "card:KRM-000002")
	check("Ref unknown", got, "", err)
}
