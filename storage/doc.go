// Package storage keeps shakwa's state in Redis: people, conversation
// sessions, tickets and their history, feedback, intake (deduplication and
// each chat's line of updates), the outbox of replies, scheduled jobs,
// leases, and the map from our message names to platform ids. Every
// process of the bot shares it: what a guarantee depends on lives here.
//
// It talks to Redis through redis.UniversalClient, so the same code runs on
// a single server, behind Sentinel, and on Redis Cluster. Every multi-key
// operation touches keys that share one hash tag (the part in braces), so
// Lua scripts never cross slots.
//
// # People and opaque names
//
// A chat id may be a phone number (WhatsApp), so no key, event or error
// names one. A person is known by an opaque id (PersonID: "p" and 96 bits
// of an HMAC of their address, under a random key made once per
// deployment and kept in meta:idkey); their address and language are kept
// on their record only. Chats, sessions and queues are named the same way.
//
// # Keys
//
// Every key starts with the prefix given by WithPrefix (empty by default);
// the prefix must not contain braces. After it (OPAQUE is such a name):
//
//	meta:idkey               string: the key of the opaque names
//	person:{PID}             hash: a person's address (channel, chat) and lang, when last written (at, ms), version v
//	people                   sorted set: people's records, by when each was last written (see ForgetUntouched)
//	t:{KRM-000123}           hash: the ticket (citizen = PID, channel), version v 2
//	t:{KRM-000123}:log       list: the ticket's events as JSON, oldest first, capped
//	seq:{KRM}                counter: the centre's ticket numbers
//	seq:{KRM}:once:OPAQUE    string: the number reserved for the update that filed it
//	queue:{KRM}              sorted set: unclaimed tickets of a centre, by creation time
//	held:{STAFF}             sorted set: tickets a staff member holds, by creation time
//	citizen:{PID}            sorted set: a citizen's tickets, by creation time
//	created                  sorted set: every ticket, by creation time
//	resolved                 sorted set: resolved and closed tickets, by latest resolution
//	open                     sorted set: tickets that need staff work, by creation time
//	fb:{F-000001}            hash: one feedback (citizen = PID), version v 2
//	fb:seq, fb:created       counter and sorted set of feedback
//	fbby:{PID}               set: the feedback a citizen gave (see ForgetPerson)
//	fileuse:{FILE}           sorted set: the tickets and visits whose attachments
//	                         include file FILE of the file store, by creation
//	                         (filing) time (see FileUsed)
//	retention:cursor, retention:waiting   how far the retention sweep read, and the tickets it must see again (see EraseClosedBefore)
//	retention:erasing        hash: ticket ID -> what must follow its erasure by the sweep, until done (see EraseClosedBefore)
//	session:{OPAQUE}         string: a conversation session, with its TTL
//	in:{OPAQUE}:...          a chat's intake: line, hold, done, fails (see Begin)
//	refs:{OPAQUE}            hash: r:REF -> message id and m:ID -> ref, with a TTL
//	ob:{outbox}:...          the outbox (see EnqueueAll): one hash tag for all of it
//	jobs:{KIND}, ...:orig, ...:tries   scheduled jobs of a kind (see ClaimJobs)
//	line:{KIND}:OPAQUE       list: what one sender sent that waits, drained by a job of KIND, with a TTL (see QueueLine)
//	lease:{NAME}             string: who holds the lease NAME (see Lease)
//	mail:{OPAQUE}            stream: a web chat's mailbox (field d), capped, with a TTL
//	webstaff:revoked         sorted set: web staff panel sign-ins revoked, staff id -> when (ms) (see RevokeStaff)
//	fsrc:{CHANNEL:ID}, fon:{CONTENT}   where files came from, what channels call them (see FileOn)
//	qa:{KRM}:2026-11         hash: a centre's self-assessment of a month: opened, done (ms), done_by, a:CODE -> answer JSON
//	visit:{V-000012}         string: a mystery-shopper visit as JSON; ...:released its release, ...:discarded its discard (see ReleaseVisit, DiscardVisit)
//	visits:{KRM}             sorted set: a centre's visits, by the day's start (ms)
//	visit:{seq}, ...:once:OPAQUE   counter of visit numbers, and the number an update reserved
//
// Stored records are Redis hashes, not JSON documents, so the Lua scripts
// read and write single fields and never decode JSON (Lua's cjson would
// turn an empty array into an object). Times are stored as RFC 3339 text in
// UTC (an assessment's opened and done as Unix milliseconds); a zero time
// is not stored at all. A visit and an assessment's answers are JSON: no
// script decodes them.
//
// # Consistency
//
// A ticket and its event log change together, in one Lua script that first
// checks the ticket's current state; that script is the only place where a
// transition is decided, so of two staff claiming at once exactly one wins.
//
// The indexes (queues, held, citizen, created, resolved, open) live in
// other slots and are updated right after the script: each update adds the
// ticket to every index its new state calls for and removes it from those
// only its old state did. Indexes are therefore hints. Every reader loads
// the tickets an index names, keeps only those whose real state belongs
// there, and removes stale entries as it finds them. A removal, by a writer
// or a reader, is always followed by a fresh read of the ticket and, if the
// ticket belongs in that index again by then, a re-add: racing writers can
// leave a stale entry behind but never lose one. A crash between a
// transition and its index update can leave an entry missing until the
// ticket's next change puts it back, or the update comes again: a
// transition made by an earlier handling of the same update (its reply
// lost, say) is answered as done and indexes the ticket anew, its tallies
// too, a transfer's in the centre it left; a new ticket is indexed before its
// record is written (and again after), so a crash never leaves an
// acknowledged ticket unindexed.
package storage
