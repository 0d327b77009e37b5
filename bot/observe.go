package bot

import "time"

// Observer hears what intake, the outbox and the job runner do, for
// metrics. Its methods are called on the hot path, concurrently: they must
// be quick and must not block. Labels are fixed words and channel, lane
// and job kind names, never an id or a person.
type Observer interface {
	// Update is one Deliver call: its channel, how it ended (see the
	// Outcome constants) and how long it took.
	Update(channel string, outcome Outcome, took time.Duration)
	// Send is one attempt to send a queued reply.
	Send(channel string, lane Priority, result SendResult)
	// Job is one run of a job of kind, ended at when.
	Job(kind string, ok bool, took time.Duration, at time.Time)
}

// Outcome is how one delivered update ended.
type Outcome string

// Outcomes.
const (
	Handled    Outcome = "handled"    // handled, replies queued
	Duplicate  Outcome = "duplicate"  // handled before: nothing done
	Retry      Outcome = "retry"      // the handling failed; the platform delivers it again
	Apologized Outcome = "apologized" // failed too often: the apology went out
	Panicked   Outcome = "panic"      // the handler panicked: logged, nothing sent but an apology
	Errored    Outcome = "error"      // the store failed around the handling; delivered again
)

// SendResult is how one send attempt ended.
type SendResult string

// Send results.
const (
	SendOK      SendResult = "ok"
	SendRetried SendResult = "retried"      // failed in a way that may pass; tried again later
	SendLimited SendResult = "rate_limited" // the platform said to wait (429, retry_after)
	SendDead    SendResult = "dead"         // kept as a dead letter
)

// observed is the Observer, or one that hears nothing.
func observed(o Observer) Observer {
	if o == nil {
		return nobody{}
	}
	return o
}

type nobody struct{}

func (nobody) Update(string, Outcome, time.Duration)      {}
func (nobody) Send(string, Priority, SendResult)          {}
func (nobody) Job(string, bool, time.Duration, time.Time) {}
