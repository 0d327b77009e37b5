// Package storage keeps shakwa's state in Redis: conversation sessions,
// preferences, tickets and their history, feedback, intake deduplication, the
// outbox of replies and the map from our message names to platform ids.
//
// It talks to Redis through redis.UniversalClient, so the same code runs on
// a single server, behind Sentinel, and on Redis Cluster. Every multi-key
// operation touches keys that share one hash tag (the part in braces), so
// Lua scripts never cross slots.
//
// # Keys
//
// Every key starts with the prefix given by WithPrefix (empty by default);
// the prefix must not contain braces. After it:
//
//	t:{KRM-000123}         hash: the ticket, with version field v
//	t:{KRM-000123}:log     list: the ticket's events as JSON, oldest first, capped
//	seq:{KRM}              counter: the centre's ticket numbers
//	queue:{KRM}            sorted set: unclaimed tickets of a centre, by creation time
//	held:{STAFF}           sorted set: tickets a staff member holds, by creation time
//	citizen:{CHANNEL:CHAT} sorted set: a citizen's tickets, by creation time
//	created                sorted set: every ticket, by creation time
//	resolved               sorted set: resolved and closed tickets, by latest resolution
//	open                   sorted set: tickets that need staff work, by creation time
//	fb:{F-000001}          hash: one feedback, with version field v
//	fb:seq, fb:created     counter and sorted set of feedback
//	session:{WHO}          string: a conversation session, with its TTL
//	prefs:{WHO}            hash: preferences (lang), with version field v
//	update:{KEY}           string: intake deduplication ("lease" or "done")
//	refs:{CHAT}            hash: r:REF -> message id and m:ID -> ref
//	ob:{outbox}:...        the outbox (see Enqueue): one hash tag for all of it
//	mail:{CHAT}            stream: a web chat's mailbox (field d), capped, with a TTL
//	file:{ID}              hash: a web chat upload (v, mime, data), with a TTL
//
// Stored records are Redis hashes, not JSON documents, so the Lua scripts
// read and write single fields and never decode JSON (Lua's cjson would
// turn an empty array into an object). Times are stored as RFC 3339 text in
// UTC; a zero time is not stored at all.
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
// ticket's next change puts it back; a new ticket is indexed before its
// record is written (and again after), so a crash never leaves an
// acknowledged ticket unindexed.
package storage
