package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// OutboxStore keeps queued replies durably, per queue and in order, for
// every process that shares it. Queues are named by chat address and lane
// when enqueued; NextDueIn hands out their stored names, which the other
// calls take.
type OutboxStore interface {
	// EnqueueAll appends items[i] to the queue queues[i] of lane lanes[i]
	// (see Priority.Lane), drawing on the send budget budgets[i] (""
	// none), all or none; with a once key, only if no batch with that key
	// was queued within keep.
	EnqueueAll(ctx context.Context, once string, keep time.Duration, queues, lanes, budgets []string, items [][][]byte, now time.Time) (fresh bool, err error)
	// NextDueIn leases the head of lane's earliest due queue whose budget
	// allows a send, and spends the budget; budgets are the least time
	// between two sends, fleet-wide. queue is "" when nothing can be sent;
	// wait then says when a budget frees.
	NextDueIn(ctx context.Context, lane string, now time.Time, lease time.Duration, budgets map[string]time.Duration) (queue string, item []byte, attempts int, wait time.Duration, err error)
	// SlowBudget keeps budget from sending before until, fleet-wide.
	SlowBudget(ctx context.Context, budget string, until, now time.Time) error
	// Sent drops the head; the queue is due next at next.
	Sent(ctx context.Context, queue string, next time.Time) error
	// Hold extends the lease on the head until until; false when it is no
	// longer leased.
	Hold(ctx context.Context, queue string, until time.Time) (bool, error)
	// Retry keeps the head for another attempt at at.
	Retry(ctx context.Context, queue string, at time.Time) (attempts int, err error)
	// Wait keeps the head for until without counting a failure, and holds
	// the chat's other lanes until then.
	Wait(ctx context.Context, queue string, until, now time.Time) error
	// Dead moves the head to the dead letters.
	Dead(ctx context.Context, queue string, reason string, now time.Time) error
	// SetRef, RefAt: our message names in a chat, and the platform ids;
	// RefAt also says when what the message shows was queued, as SentRef
	// kept it (0 if unknown), so that the edits of one message keep the
	// order they were queued in.
	SetRef(ctx context.Context, chat, ref, messageID string, trail bool) error
	RefAt(ctx context.Context, chat, ref string) (messageID string, queued int64, err error)
	// Pending is how many items wait.
	Pending(ctx context.Context) (int, error)
}

// Pacer is a Channel's optional knowledge of its platform's rate limits.
type Pacer interface {
	// Pace is how long to wait after sending r before the next message to
	// the same chat.
	Pace(r Reply) time.Duration
	// PerSecond is how many messages the channel may send in all, across
	// every process; answers to button presses (Notice) do not count. Zero
	// or less is no such limit.
	PerSecond() float64
}

// BulkPacer is a Channel's optional limit on what the bot sends on its own
// (Bulk): Telegram's 30 a second is a limit on notifications to many
// people, not on answering those who just wrote.
type BulkPacer interface {
	BulkPerSecond() float64
}

// Priority is which lane of the outbox a Reply goes out in. Each lane has
// senders of its own, so that a backlog in one never holds up another;
// within a lane, one chat's replies keep their order.
type Priority int

const (
	// Answer is the answer to the person whose message is being handled,
	// in their chat, and to their button presses: first, at once, paced
	// only per chat and by the platform's own limit (PerSecond).
	Answer Priority = iota
	// Notify is what a person's message causes in other chats: a new
	// ticket's card in its staff group, a staff member's words to a
	// citizen. Paced as answers, in a lane of its own.
	Notify
	// Bulk is what the bot sends on its own: reports, reminders,
	// escalations. It has its own budget (Outbox.BulkPerSecond) and is the
	// first slowed when the platform says to wait.
	Bulk
)

// Lane names p's lane to the store.
func (p Priority) Lane() string {
	switch p {
	case Notify:
		return "n"
	case Bulk:
		return "b"
	}
	return ""
}

func (p Priority) String() string {
	switch p {
	case Notify:
		return "notify"
	case Bulk:
		return "bulk"
	}
	return "answer"
}

// priorities are the lanes, the first first.
var priorities = []Priority{Answer, Notify, Bulk}

// Splitter is a Channel's optional knowledge of how much one platform
// message holds.
type Splitter interface {
	// Split cuts r into the messages the platform takes, in order. Each is
	// queued, paced and retried on its own; the one that carries r's
	// buttons keeps r's Ref and Edit, the others have Trail set.
	Split(r Reply) []Reply
}

// Outbox sends queued Replies through their Channels: one chat's replies in
// order, paced per chat and per channel across every process that shares
// the store, retried with backoff when the platform asks, and kept as dead
// letters when they can never be delivered.
type Outbox struct {
	store    OutboxStore
	channels map[string]Channel
	budgets  map[string]time.Duration // by sendBudgets, once
	now      func() time.Time
	log      *slog.Logger
	wake     map[Priority]chan struct{}

	// Files and FileMap let files cross channels (see FileStore); without
	// them a file goes only to chats of the channel it came from.
	Files   FileStore
	FileMap FileMap
	// Fetched, when set, hears of each file fetched from its channel into
	// Files to cross to another (a staff member's photo to a citizen on
	// WhatsApp or the web chat): no ticket keeps it, so its bytes are for
	// the caller to remove in time. A file whose bytes went is fetched
	// again when it is sent again.
	Fetched func(ctx context.Context, content string)
	// Window serves channels that may write only within a while of a
	// person's last message (see Windowed); without it they are sent to
	// as any other.
	Window WindowStore
	// Undelivered, when set, hears of every Reply kept as a dead letter,
	// with why: a message owed to a citizen that never reaches them is
	// news to the staff member who wrote it. The Failure's Blocked says
	// the platform refused because the person cannot be reached at all
	// (see ErrUnreachable), NotTaken that it does not take a file sent
	// (ErrNotTaken); its Code is -1. It runs apart from the sends, and is
	// tried again a few times when it fails.
	Undelivered func(ctx context.Context, r Reply, f Failure) error
	// Observe, when set, hears how each send attempt ended.
	Observe Observer

	// BulkPerSecond is the budget of Bulk replies on each channel, fleet
	// wide (default 30; a channel's BulkPacer or PerSecond, when lower,
	// wins). Set it before Run.
	BulkPerSecond float64
	// Senders is how many sends of each lane run at once (default 8
	// answers, 4 notifications, 2 bulk).
	Senders map[Priority]int

	// Lease is how long a leased item
	// is held before another process may send it (it must outlast
	// SendTimeout and the bookkeeping after it); SendTimeout bounds one
	// platform call, FileTimeout one that carries files (its lease is
	// extended to match); MaxAttempts how many failures make a dead
	// letter; Idle how often an idle worker looks for due work.
	Lease       time.Duration
	SendTimeout time.Duration
	FileTimeout time.Duration
	MaxAttempts int
	Idle        time.Duration

	bg          sync.WaitGroup // reports to Undelivered
	budgetsOnce sync.Once
}

// bookkeeping bounds what the outbox records after a send: a send that
// used all of SendTimeout still has this long to be marked sent, within
// the lease.
const bookkeeping = 2 * time.Second

// NewOutbox returns an Outbox over channels.
func NewOutbox(store OutboxStore, channels []Channel, now func() time.Time, log *slog.Logger) *Outbox {
	o := &Outbox{store: store, channels: map[string]Channel{}, now: now, log: log, wake: map[Priority]chan struct{}{},
		BulkPerSecond: 30, Senders: map[Priority]int{Answer: 8, Notify: 4, Bulk: 2},
		Lease: 10 * time.Second, SendTimeout: 7 * time.Second, FileTimeout: 2 * time.Minute,
		MaxAttempts: 12, Idle: 250 * time.Millisecond}
	for _, p := range priorities {
		o.wake[p] = make(chan struct{}, 1)
	}
	for _, ch := range channels {
		o.channels[ch.Name()] = ch
	}
	return o
}

// bulkBudget names the budget of ch's Bulk replies.
func bulkBudget(ch string) string { return ch + ":bulk" }

// spacing is the least time between two sends at rate a second (0: none).
func spacing(rate float64) time.Duration {
	if rate <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / rate)
}

// lowest is the least of the rates above 0 (0: none is).
func lowest(rates ...float64) float64 {
	low := 0.0
	for _, r := range rates {
		if r > 0 && (low == 0 || r < low) {
			low = r
		}
	}
	return low
}

// sendBudgets are the budgets of every channel: its own limit (PerSecond)
// for answers and notifications, and the bulk budget.
func (o *Outbox) sendBudgets() map[string]time.Duration {
	o.budgetsOnce.Do(o.makeBudgets)
	return o.budgets
}

func (o *Outbox) makeBudgets() {
	b := map[string]time.Duration{}
	for name, ch := range o.channels {
		rate, bulk := 30.0, 0.0
		if p, ok := ch.(Pacer); ok {
			rate = p.PerSecond()
		}
		if p, ok := ch.(BulkPacer); ok {
			bulk = p.BulkPerSecond()
		}
		bulk = lowest(o.BulkPerSecond, bulk, rate)
		if d := spacing(rate); d > 0 {
			b[name] = d
		}
		if d := spacing(bulk); d > 0 {
			b[bulkBudget(name)] = d
		}
	}
	o.budgets = b
}

// noticeQueue names a chat's queue of notices (see Reply.Notice): apart
// from its messages, never paced, and outside the channel's budget.
const noticeQueue = "notices"

// Enqueue queues replies, split into what their platforms take and grouped
// by chat in the order given, all in one step: a failure queues none, and
// with a once key a second Enqueue of the same work queues nothing.
func (o *Outbox) Enqueue(ctx context.Context, once string, keep time.Duration, replies []Reply) (bool, error) {
	type queue struct{ name, lane, budget string }
	var order []queue
	byQueue := map[queue][][]byte{}
	queued := o.now().UnixNano()
	for _, r := range o.split(replies) {
		if r.Ref != "" && r.Queued == 0 {
			r.Queued = queued
		}
		data, err := json.Marshal(r)
		if err != nil {
			return false, fmt.Errorf("encode reply: %w", err)
		}
		q := queue{r.Channel + ":" + r.Chat, r.Priority.Lane(), r.Channel}
		switch {
		case r.Notice:
			// Answers to button presses go at once, not paced behind the
			// chat's messages: the platform waits only seconds for them.
			q = queue{r.Channel + ":" + noticeQueue + ":" + r.Chat, Answer.Lane(), ""}
		case r.Priority == Bulk:
			q.budget = bulkBudget(r.Channel)
		}
		if _, ok := byQueue[q]; !ok {
			order = append(order, q)
		}
		byQueue[q] = append(byQueue[q], data)
	}
	if len(order) == 0 && once == "" {
		return true, nil
	}
	names, lanes, budgets := make([]string, len(order)), make([]string, len(order)), make([]string, len(order))
	items := make([][][]byte, len(order))
	for i, q := range order {
		names[i], lanes[i], budgets[i], items[i] = q.name, q.lane, q.budget, byQueue[q]
	}
	fresh, err := o.store.EnqueueAll(ctx, once, keep, names, lanes, budgets, items, o.now())
	if err != nil {
		return false, fmt.Errorf("enqueue: %w", err)
	}
	if len(order) > 0 && ctx.Value(committedLater{}) == nil {
		o.Poke(lanesOf(replies)...)
	}
	return fresh, nil
}

// lanesOf are the lanes of rs, each once.
func lanesOf(rs []Reply) []Priority {
	var ps []Priority
	for _, r := range rs {
		if !slices.Contains(ps, r.Priority) {
			ps = append(ps, r.Priority)
		}
	}
	return ps
}

// committedLater marks the context of an update whose writes wait for a
// commit (see Batcher): Enqueue does not wake the senders, whom intake
// wakes once the replies are there.
type committedLater struct{}

// split cuts each reply into its channel's messages, its words marked to
// read in its language's direction (see Directed): every message passes
// here.
func (o *Outbox) split(replies []Reply) []Reply {
	var out []Reply
	for _, r := range replies {
		r = directed(r)
		if sp, ok := o.channels[r.Channel].(Splitter); ok && !r.Notice {
			out = append(out, sp.Split(r)...)
			continue
		}
		out = append(out, r)
	}
	return out
}

// directed marks r's text and buttons for r's language (see Directed).
func directed(r Reply) Reply {
	rtl := RTL(r.Lang)
	r.Text = Directed(r.Text, rtl)
	r.ContactLabel = Directed(r.ContactLabel, rtl)
	if len(r.Buttons) > 0 {
		rows := make([][]Button, len(r.Buttons))
		for i, row := range r.Buttons {
			rows[i] = slices.Clone(row)
			for j := range rows[i] {
				rows[i][j].Label = labels.directed(rows[i][j].Label, rtl)
				rows[i][j].Short = labels.directed(rows[i][j].Short, rtl)
			}
		}
		r.Buttons = rows
	}
	return r
}

// labels remembers the button labels Directed marked: the same few
// hundred (centres, categories, stars) come back in most replies.
var labels = &labelCache{}

// labelCache is Directed of recent labels, per direction; it forgets them
// all when it holds maxLabels.
type labelCache struct {
	mu sync.RWMutex
	m  [2]map[string]string
}

const maxLabels = 4096

func (c *labelCache) directed(label string, rtl bool) string {
	if label == "" {
		return ""
	}
	d := 0
	if rtl {
		d = 1
	}
	c.mu.RLock()
	out, ok := c.m[d][label]
	c.mu.RUnlock()
	if ok {
		return out
	}
	out = Directed(label, rtl)
	c.mu.Lock()
	if c.m[d] == nil || len(c.m[d]) >= maxLabels {
		c.m[d] = make(map[string]string, 256)
	}
	c.m[d][label] = out
	c.mu.Unlock()
	return out
}

// channelOf names a queue for errors and logs without its chat: the
// channel before the first colon.
func channelOf(queue string) string {
	c, _, _ := strings.Cut(queue, ":")
	return c
}

// Run sends until ctx is done, then waits for the sends in flight and
// their reports.
func (o *Outbox) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, p := range priorities {
		for range max(o.Senders[p], 1) {
			wg.Go(func() { o.work(ctx, p) })
		}
	}
	wg.Wait()
	o.Wait()
	return nil
}

// Wait waits for the reports to Undelivered under way.
func (o *Outbox) Wait() { o.bg.Wait() }

func (o *Outbox) work(ctx context.Context, p Priority) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for ctx.Err() == nil {
		busy, wait, err := o.sendOne(ctx, p)
		if err != nil && ctx.Err() == nil {
			o.log.WarnContext(ctx, "outbox", "err", err)
		}
		if busy {
			continue
		}
		d := o.Idle
		if wait > 0 && wait < d {
			d = wait
		}
		timer.Reset(d)
		select {
		case <-ctx.Done():
			return
		case <-o.wake[p]:
		case <-timer.C:
		}
	}
}

// Drain waits until nothing is left to send, or ctx is done: the last
// replies of a process that is stopping still go out while Run runs.
func (o *Outbox) Drain(ctx context.Context) error {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	pending := o.store.Pending
	if o.Window != nil {
		// What waits for a person to write is not for this process to
		// send before it stops.
		pending = o.Window.Sendable
	}
	n, err := -1, error(nil)
	for {
		m, perr := pending(ctx)
		switch {
		case perr == nil && m <= 0:
			return nil
		case perr == nil:
			n, err = m, nil
		case ctx.Err() == nil:
			err = perr
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("drain outbox: %w", err)
			}
			return fmt.Errorf("drain outbox: %d still queued: %w", n, ctx.Err())
		case <-t.C:
		}
	}
}

// SendOne sends the next due reply, if any, answers first, and reports
// whether there was one.
func (o *Outbox) SendOne(ctx context.Context) (bool, error) {
	for _, p := range priorities {
		if busy, _, err := o.sendOne(ctx, p); busy || err != nil {
			return busy, err
		}
	}
	return false, nil
}

// SendOneIn sends the next due reply of lane p only, as p's senders do,
// and reports whether there was one.
func (o *Outbox) SendOneIn(ctx context.Context, p Priority) (bool, error) {
	busy, _, err := o.sendOne(ctx, p)
	return busy, err
}

// sendOne sends the next due reply of lane p; when nothing was due, wait
// says how soon a budget frees.
func (o *Outbox) sendOne(ctx context.Context, p Priority) (busy bool, wait time.Duration, err error) {
	queue, item, attempts, wait, err := o.store.NextDueIn(ctx, p.Lane(), o.now(), o.Lease, o.sendBudgets())
	if err != nil || queue == "" {
		return false, wait, err
	}
	// Once leased, the send runs to its end even if we are stopping: the
	// lease would hold the item back from the other processes meanwhile.
	base := context.WithoutCancel(ctx)
	var r Reply
	bad := json.Unmarshal(item, &r)
	r.Priority = p // not kept with the item: its lane says it
	timeout := o.SendTimeout
	if bad == nil && len(r.Attachments) > 0 && o.FileTimeout > timeout {
		// Files take long to fetch and upload: the lease grows to match.
		timeout = o.FileTimeout
	}
	ctx, cancel := context.WithTimeout(base, timeout)
	defer cancel()
	if bad != nil {
		return true, 0, o.dead(ctx, queue, nil, failure("undecodable: "+bad.Error()))
	}
	if timeout > o.SendTimeout {
		held, err := o.store.Hold(ctx, queue, o.now().Add(timeout+o.Lease-o.SendTimeout))
		if err != nil {
			return true, 0, o.retry(ctx, queue, attempts, &r, &RetryError{Err: err})
		}
		if !held {
			return true, 0, nil // another sender has it
		}
	}
	ch, ok := o.channels[r.Channel]
	if !ok {
		return true, 0, o.dead(ctx, queue, &r, failure("no channel "+r.Channel))
	}
	chat := r.Channel + ":" + r.Chat
	editID := ""
	if r.Edit && r.EditOf != "" {
		editID = r.EditOf
	} else if r.Edit && r.Ref != "" {
		var applied int64
		if editID, applied, err = o.store.RefAt(ctx, chat, r.Ref); err != nil {
			return true, 0, o.retry(ctx, queue, attempts, &r, &RetryError{Err: err})
		}
		if r.Queued > 0 && applied > r.Queued {
			// The message shows what an edit queued after this one says
			// (it went by another lane, ahead of this one): this one is
			// out of date, and would undo it.
			return true, 0, o.store.Sent(ctx, queue, o.now())
		}
	}
	if closed, err := o.windowClosed(ctx, ch, queue); err != nil {
		return true, 0, o.retry(ctx, queue, attempts, &r, &RetryError{Err: err})
	} else if closed && !r.Notice {
		return true, 0, o.reopen(ctx, ch, queue, attempts, &r)
	}
	err = o.resolveFiles(ctx, &r)
	var sent Sent
	if err == nil {
		sent, err = ch.Send(ctx, r, editID)
	}
	if errors.Is(err, ErrWindowClosed) {
		rctx, rdone := context.WithTimeout(base, o.SendTimeout)
		defer rdone()
		return true, 0, o.reopen(rctx, ch, queue, attempts, &r)
	}
	// What follows the platform call has time of its own, whatever the
	// call used of its own.
	ctx, done := context.WithTimeout(base, bookkeeping)
	defer done()
	if err != nil {
		return true, 0, o.failed(ctx, queue, attempts, &r, err)
	}
	o.rememberUploads(ctx, ch, sent)
	o.keepSent(ctx, ch, queue, sent.MessageID, item)
	var pace time.Duration
	if p, ok := ch.(Pacer); ok {
		pace = p.Pace(r)
	}
	observed(o.Observe).Send(r.Channel, p, SendOK)
	next := o.now().Add(pace)
	if r.Ref == "" || sent.MessageID == "" {
		return true, 0, o.store.Sent(ctx, queue, next)
	}
	var refErr error
	if both, ok := o.store.(RefSender); ok {
		refErr, err = both.SentRef(ctx, queue, next, chat, r.Ref, sent.MessageID, r.Trail, r.Queued)
	} else {
		refErr = o.store.SetRef(ctx, chat, r.Ref, sent.MessageID, r.Trail)
		err = o.store.Sent(ctx, queue, next)
	}
	if refErr != nil {
		o.log.WarnContext(ctx, "set ref", "channel", r.Channel, "err", refErr)
	}
	return true, 0, err
}

// RefSender is an OutboxStore's optional way to record a sent message's
// ref (SetRef) and drop it from its queue (Sent) in one round trip, the
// ref first; with queued, when what was sent was queued (Reply.Queued),
// kept for RefAt.
type RefSender interface {
	SentRef(ctx context.Context, queue string, next time.Time, chat, ref, messageID string, trail bool, queued int64) (refErr, err error)
}

// failed retries what may pass and keeps the rest as a dead letter.
func (o *Outbox) failed(ctx context.Context, queue string, attempts int, r *Reply, err error) error {
	var re *RetryError
	if !errors.As(err, &re) {
		o.log.WarnContext(ctx, "undeliverable", "channel", channelOf(queue), "err", err)
		return o.dead(ctx, queue, r, Failure{Code: -1, Reason: err.Error(), Blocked: errors.Is(err, ErrUnreachable),
			NotTaken: errors.Is(err, ErrNotTaken)})
	}
	return o.retry(ctx, queue, attempts, r, re)
}

// failure is the Failure of a dead letter for reason, and no more.
func failure(reason string) Failure { return Failure{Code: -1, Reason: reason} }

// dead keeps the head of queue, r, as a dead letter, and says so to
// Undelivered.
func (o *Outbox) dead(ctx context.Context, queue string, r *Reply, f Failure) error {
	if err := o.store.Dead(ctx, queue, f.Reason, o.now()); err != nil {
		return err
	}
	observed(o.Observe).Send(channelOf(queue), laneOfReply(r), SendDead)
	if o.Undelivered != nil && r != nil {
		o.bg.Go(func() { o.tell(*r, f) })
	}
	return nil
}

// tell reports r to Undelivered, trying a few times over some seconds.
func (o *Outbox) tell(r Reply, f Failure) {
	var err error
	for i := range 4 {
		if i > 0 {
			time.Sleep(time.Duration(i) * time.Second)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = o.Undelivered(ctx, r, f)
		cancel()
		if err == nil {
			return
		}
	}
	o.log.Error("undelivered reply not reported", "channel", r.Channel, "err", err)
}

// retry schedules the next attempt of a queue's head, whose attempts
// failed so far, after one more failure: doubling from one second, up to
// 5 minutes. The count is the store's, so it holds across restarts and
// processes. When the platform said how long to wait (a 429), the chat
// waits that long, all its lanes, and as re.Scope says the bot's bulk or
// the whole channel with it; that is not a failure of the message, so it
// does not count towards MaxAttempts.
func (o *Outbox) retry(ctx context.Context, queue string, attempts int, r *Reply, re *RetryError) error {
	if re.After > 0 {
		return o.wait(ctx, queue, r, re.After, re.Scope)
	}
	n := attempts + 1
	if n >= o.MaxAttempts {
		o.log.WarnContext(ctx, "gave up", "channel", channelOf(queue), "attempts", n, "err", re.Err)
		return o.dead(ctx, queue, r, failure(re.Err.Error()))
	}
	delay := min(time.Second<<min(n-1, 9), 5*time.Minute)
	observed(o.Observe).Send(channelOf(queue), laneOfReply(r), SendRetried)
	_, err := o.store.Retry(ctx, queue, o.now().Add(delay))
	return err
}

// wait has the head of queue, r, wait as the platform asked, and with it
// what scope says.
func (o *Outbox) wait(ctx context.Context, queue string, r *Reply, after time.Duration, scope Scope) error {
	observed(o.Observe).Send(channelOf(queue), laneOfReply(r), SendLimited)
	until := o.now().Add(after)
	var budgets []string
	switch {
	case r == nil || scope == ScopeChat:
	case scope == ScopeChannel:
		// Every chat of the channel waits, across the fleet: sending to
		// them meanwhile would only be refused the same way.
		budgets = []string{r.Channel, bulkBudget(r.Channel)}
	default:
		// What the bot sends on its own waits too, across the fleet, so
		// that answers keep what the platform allows.
		budgets = []string{bulkBudget(r.Channel)}
	}
	for _, b := range budgets {
		if err := o.store.SlowBudget(ctx, b, until, o.now()); err != nil {
			o.log.WarnContext(ctx, "slow budget", "channel", r.Channel, "err", err)
		}
	}
	return o.store.Wait(ctx, queue, until, o.now())
}

// laneOfReply is r's lane; a reply that could not be read counts as an
// answer.
func laneOfReply(r *Reply) Priority {
	if r == nil {
		return Answer
	}
	return r.Priority
}
