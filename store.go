package accord

import (
	"context"
	"time"
)

// Store keeps one node's data. Implementations (package sqlite; package
// postgres later) translate their driver's errors into *Error codes in one
// place and pass the storetest contract suite unchanged.
//
// A Store is safe for concurrent use. Every service call of package node runs
// in exactly one transaction, so a failed call leaves nothing behind.
type Store interface {
	// Update runs fn in one read-write transaction and commits it if fn
	// returns nil; otherwise it rolls back and returns fn's error. Writers are
	// serialised. Returns EUNAVAILABLE if the store cannot be reached.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in one read-only transaction: fn sees one consistent
	// snapshot, and writes through tx fail.
	View(ctx context.Context, fn func(Tx) error) error
	// Close releases the store. Calls after Close fail.
	Close() error
}

// Tx is one transaction of a Store. Its methods return ENOTFOUND when a
// named row does not exist (never nil, nil), ECONFLICT when a write clashes
// with a unique key or a concurrent change, EINVALID when a value breaks a
// constraint of the schema, and EINTERNAL otherwise. Times are stored with
// microsecond precision in UTC and come back in UTC.
type Tx interface {
	// PutParty inserts p, or replaces the party with the same id.
	PutParty(p *Party) error
	// Party returns the party with the given id.
	Party(id string) (*Party, error)
	// Parties returns every party, ordered by id.
	Parties() ([]*Party, error)

	// CreateUser inserts u and sets u.ID. ECONFLICT if the name or token hash is taken.
	CreateUser(u *User) error
	// UserByName returns the user with the given name.
	UserByName(name string) (*User, error)
	// UserByTokenHash returns the user whose token hashes to hash.
	UserByTokenHash(hash string) (*User, error)
	// Users returns every user, ordered by id.
	Users() ([]*User, error)

	// NextSeq increments the named counter and returns its new value (1 the
	// first time). Counters name id series, e.g. "case" and "request".
	NextSeq(name string) (int64, error)

	// CreateCase inserts c. ECONFLICT if its id is taken.
	CreateCase(c *Case) error
	// UpdateCase replaces the stored case with c's id. ENOTFOUND if absent.
	UpdateCase(c *Case) error
	// Case returns the case with the given id.
	Case(id string) (*Case, error)
	// Cases returns the cases matching f, newest first.
	Cases(f CaseFilter) ([]*Case, error)

	// CreateRequest inserts r. ECONFLICT if its id is taken; EINVALID if its
	// case or parties do not exist.
	CreateRequest(r *Request) error
	// UpdateRequest replaces the stored request with r's id. Each update
	// records exactly one new event, so the stored Seq must be r.Seq-1:
	// otherwise it returns ECONFLICT (someone else moved the request first).
	UpdateRequest(r *Request) error
	// Request returns the request with the given id.
	Request(id string) (*Request, error)
	// Requests returns the requests matching f, most recently sent first
	// (ties broken by id, descending).
	Requests(f RequestFilter) ([]*Request, error)
	// CountRequests returns how many requests match f, ignoring its Limit and Offset.
	CountRequests(f RequestFilter) (int, error)

	// AddEvent appends a lifecycle event. ECONFLICT if (RequestID, Seq) exists.
	AddEvent(e *Event) error
	// Events returns a request's events in Seq order.
	Events(requestID string) ([]*Event, error)
	// AddAnswer appends an answer. ECONFLICT if (RequestID, Seq) exists.
	AddAnswer(a *Answer) error
	// Answers returns a request's answers in Seq order.
	Answers(requestID string) ([]*Answer, error)

	// AddMessage stores a message sent or received, with its JWS and
	// Digest. ECONFLICT if its id exists.
	AddMessage(m *Message) error
	// Message returns the message with the given id.
	Message(id string) (*Message, error)
	// Messages returns the messages about a request, in the order stored.
	Messages(requestID string) ([]*Message, error)
	// LastSeq returns the highest Seq of the messages sender sent about
	// requestID that this store holds, or 0.
	LastSeq(requestID, sender string) (int, error)
	// CountMessages returns how many messages were sent by sender (any
	// sender when "").
	CountMessages(sender string) (int, error)

	// AddReceipt stores a receipt with its JWS. ECONFLICT if a receipt for
	// the same message exists; EINVALID if the message is not stored.
	AddReceipt(r *Receipt) error
	// Receipt returns the receipt for a message.
	Receipt(messageID string) (*Receipt, error)
	// CountReceipts returns how many receipts were signed by receiver (any
	// receiver when "").
	CountReceipts(receiver string) (int, error)

	// Enqueue adds a message to the outbox. ECONFLICT if it was ever queued
	// (delivered or not).
	Enqueue(o *OutboxItem) error
	// DueOutbox returns up to limit (0: no limit) undelivered items for peer
	// whose NextAttemptAt is not after now (a zero NextAttemptAt is always
	// due), in the order they were enqueued.
	DueOutbox(peer string, now time.Time, limit int) ([]*OutboxItem, error)
	// DueMessages returns what DueOutbox returns, each item with its
	// message, in one read, leaving out the messages of the requests in
	// skipRequests (those with a message on its way) before the limit
	// applies.
	DueMessages(peer string, now time.Time, limit int, skipRequests []string) ([]DueMessage, error)
	// PendingOutbox returns how many items wait for delivery to peer (any
	// peer when ""), due or not.
	PendingOutbox(peer string) (int, error)
	// OutboxItem returns the outbox item of a message. ENOTFOUND if absent.
	OutboxItem(messageID string) (*OutboxItem, error)
	// LedgerSize returns the number of entries in the node's ledger.
	LedgerSize() (int64, error)
	// AddLedgerEntries stores records as ledger entries first, first+1, …
	// together with the tree's stored hashes (tlog.StoredHashIndex layout)
	// at hashIndexes, all or nothing (a store that lets the caller go on
	// after an error must undo a partial append, e.g. with a savepoint).
	// EINVALID unless first is LedgerSize(); ECONFLICT if an entry or hash
	// index exists (the ledger is append-only).
	AddLedgerEntries(first int64, records [][]byte, hashIndexes []int64, hashes [][32]byte) error
	// LedgerHashes returns the stored hashes at the given indexes, in order.
	// ENOTFOUND names the first index that is absent.
	LedgerHashes(indexes []int64) ([][32]byte, error)
	// LedgerEntries calls fn for each entry from index from on, in order,
	// until fn returns an error (which it returns) or the entries end.
	LedgerEntries(from int64, fn func(index int64, record []byte) error) error
	// LedgerEntryIndex returns the index of the entry whose record is record
	// (byte-equal). ENOTFOUND if none.
	LedgerEntryIndex(record []byte) (int64, error)

	// AddCheckpoint stores a checkpoint note of a log — this node's own
	// (Party = this node) or a peer's — at its size. ECONFLICT if one of
	// that party at that size exists.
	AddCheckpoint(c *StoredCheckpoint) error
	// LatestCheckpoint returns the stored checkpoint of party with the
	// largest size. ENOTFOUND if none.
	LatestCheckpoint(party string) (*StoredCheckpoint, error)
	// Checkpoints returns every stored checkpoint of party, by size.
	Checkpoints(party string) ([]*StoredCheckpoint, error)
	// SetCosigned stores the cosigned note of party's checkpoint at size.
	// ENOTFOUND if there is no such checkpoint.
	SetCosigned(party string, size int64, cosigned []byte, at time.Time) error

	// CreateEvidence inserts e. ECONFLICT if its id is taken; EINVALID if
	// its case does not exist.
	CreateEvidence(e *Evidence) error
	// Evidence returns the item with the given id.
	Evidence(id string) (*Evidence, error)
	// EvidenceOf returns the items of a case (every item when caseID is
	// ""), in the order stored.
	EvidenceOf(caseID string) ([]*Evidence, error)
	// AddCustodyEvent appends an event to an item's chain. ECONFLICT if
	// (EvidenceID, Seq) exists; EINVALID if the item does not.
	AddCustodyEvent(e *CustodyEvent) error
	// CustodyEvents returns an item's chain in Seq order.
	CustodyEvents(evidenceID string) ([]*CustodyEvent, error)
	// EvidenceOfRequest returns the items that belong to a request.
	EvidenceOfRequest(requestID string) ([]*Evidence, error)

	// AddTransfer records an evidence transfer. ECONFLICT if (MessageID,
	// Index) exists; EINVALID if a field breaks the schema.
	AddTransfer(t *EvidenceTransfer) error
	// UpdateTransfer stores EvidenceID, Attempts, NextAttemptAt, LastError
	// and DoneAt of the transfer (MessageID, Index). ENOTFOUND if absent.
	UpdateTransfer(t *EvidenceTransfer) error
	// Transfers returns the transfers of a message, by Index.
	Transfers(messageID string) ([]*EvidenceTransfer, error)
	// PendingTransfers returns up to limit (0: no limit) incoming transfers
	// from peer not done and due at now (a zero NextAttemptAt is due), in
	// the order they were added.
	PendingTransfers(peer string, now time.Time, limit int) ([]*EvidenceTransfer, error)
	// Shared reports whether a file with this digest was attached to an
	// answer sent to peer (TransferOut): only then may peer fetch it.
	Shared(peer, digest string) (bool, error)

	// AddLedgerAlarm stores a checkpoint a peer presented that did not extend
	// the last one witnessed. EINVALID for empty fields.
	AddLedgerAlarm(a *LedgerAlarm) error
	// LedgerAlarms returns every stored alarm, oldest first.
	LedgerAlarms() ([]*LedgerAlarm, error)

	// Batch forms, for the federation's batches of messages and receipts:
	// the same rules as the one-row methods, in far fewer statements.

	// MessagesByID returns the stored messages among ids, by id; ids not
	// stored are absent from the map.
	MessagesByID(ids []string) (map[string]*Message, error)
	// RequestsByID returns the stored requests among ids, by id.
	RequestsByID(ids []string) (map[string]*Request, error)
	// OutboxItems returns the outbox items of the messages among
	// messageIDs that were ever queued, by message id.
	OutboxItems(messageIDs []string) (map[string]*OutboxItem, error)
	// LastSeqs returns LastSeq(id, sender) for each of requestIDs that has
	// one; requests about which sender sent nothing are absent (0).
	LastSeqs(sender string, requestIDs []string) (map[string]int, error)
	// AddMessages stores messages as AddMessage does, all or none.
	AddMessages(ms []*Message) error
	// AddReceipts stores receipts as AddReceipt does, all or none.
	AddReceipts(rs []*Receipt) error
	// AddEvents appends events as AddEvent does, all or none.
	AddEvents(es []*Event) error
	// CreateRequests inserts requests as CreateRequest does, all or none.
	CreateRequests(rs []*Request) error
	// SetDelivered sets DeliveredAt to at and clears LastError on the
	// undelivered outbox items of messageIDs; delivered items and ids
	// without an item are left alone.
	SetDelivered(messageIDs []string, at time.Time) error

	// Threat intelligence: STIX objects, their cases, their observables.

	// ObjectDigests returns the digests of the stored versions among keys.
	ObjectDigests(keys []ObjectKey) (map[ObjectKey]string, error)
	// AddObjects stores object versions in order, setting nothing; all or
	// none. ECONFLICT if a version (ID, Version) is stored already.
	AddObjects(objs []*IntelObject) error
	// LinkObjects puts the objects with the given ids in a case; links that
	// exist are kept. EINVALID if the case does not exist.
	LinkObjects(caseID string, objectIDs []string) error
	// CaseObjects calls fn with every version of every object of a case,
	// in the order they were added.
	CaseObjects(caseID string, fn func(*IntelObject) error) error
	// CountCaseObjects returns how many object versions a case holds.
	CountCaseObjects(caseID string) (int, error)
	// AddObservables stores observables; those stored already are kept.
	AddObservables(obs []*Observable) error
	// CaseObservables returns the observables of a case's objects.
	CaseObservables(caseID string) ([]Observable, error)
	// ObservableCases returns the cases holding an observable with one of
	// the exact (Kind, Value) pairs of keys (ObjectID, Addr and Bits of the
	// keys are ignored).
	ObservableCases(keys []Observable) ([]ObservableHit, error)
	// AddressCases returns the cases holding an ip or cidr observable whose
	// Addr lies in [lo, hi] (16 bytes each) and whose Bits is at least bits.
	AddressCases(lo, hi []byte, bits int) ([]ObservableHit, error)
	// ObservableCases and AddressCases also return, as hits with Peer and
	// RequestID, the observables of objects peers shared (SharedIn); a
	// value's hits list its cases first.

	// Exchanged calls fn with every message between this node's party and
	// peer ("" for every party) about the requests whose request message
	// was received, by its receipt, in [from, to), that has a receipt
	// received before asOf, with that receipt; by request id, receipt
	// time and message id. The messages come without JWS and body is kept.
	Exchanged(peer string, from, to, asOf time.Time, fn func(*Message, *Receipt) error) error

	// AddSharedObjects records object versions sent or received in
	// messages; each (MessageID, ObjectID, Version) once, all or none.
	// EINVALID if a message or an object version is not stored.
	AddSharedObjects(objs []*SharedObject) error
	// SharedStats sums up what messages of [from, to) carried (by the
	// SharedObject's At).
	SharedStats(from, to time.Time) (SharedStats, error)
	// SharedObjects returns what the messages about a request carried,
	// ordered by time, message id and object id.
	SharedObjects(requestID string) ([]*SharedObject, error)

	// UpdateOutbox stores Attempts, NextAttemptAt, LastError and DeliveredAt
	// of the item with o's MessageID. ENOTFOUND if absent.
	UpdateOutbox(o *OutboxItem) error

	// ---- TAXII 2.1: API roots, collections, their objects, status ----
	//
	// What /taxii2/ serves (package taxii over node). Collections hold
	// object versions stored by AddObjects; each membership has TAXII's
	// date_added, strictly increasing within a collection.

	// CreateAPIRoot inserts r. ECONFLICT if its id is taken or r is the
	// default and another root is already; EINVALID for a bad id or title.
	CreateAPIRoot(r *TAXIIAPIRoot) error
	// APIRoots returns every API root, ordered by id.
	APIRoots() ([]*TAXIIAPIRoot, error)
	// APIRoot returns the API root with the given id.
	APIRoot(id string) (*TAXIIAPIRoot, error)
	// CreateCollection inserts c with its grants. ECONFLICT if its id (or
	// alias within the root) is taken; EINVALID if its API root does not
	// exist or a field breaks the schema.
	CreateCollection(c *TAXIICollection) error
	// Collections returns the collections of an API root (every
	// collection when apiRoot is ""), ordered by API root and id.
	Collections(apiRoot string) ([]*TAXIICollection, error)
	// Collection returns the collection with the given id.
	Collection(id string) (*TAXIICollection, error)
	// AddCollectionObjects puts object versions in a collection, in order:
	// each entry's date_added is the later of its DateAdded and a
	// microsecond after the collection's last, and is set on the entry.
	// Versions the collection holds already are left as they are (their
	// entries get a zero DateAdded). All or none. EINVALID if the collection
	// or an object version does not exist.
	AddCollectionObjects(collectionID string, entries []*CollectionEntry) error
	// CollectionObjects calls fn with the versions q selects, in date_added
	// order, at most q.Limit of them, and reports whether more would follow.
	CollectionObjects(q CollectionQuery, fn func(*CollectionObject) error) (more bool, err error)
	// HasCollectionObject reports whether a collection holds any version of
	// an object.
	HasCollectionObject(collectionID, objectID string) (bool, error)
	// ObjectsByKey returns the stored versions among keys (each with its
	// JSON), by key; keys not stored are absent.
	ObjectsByKey(keys []ObjectKey) (map[ObjectKey]*IntelObject, error)
	// ObjectCaseTLPs returns, for each of objectIDs that belongs to a case,
	// the most restrictive TLP of its cases.
	ObjectCaseTLPs(objectIDs []string) (map[string]TLP, error)
	// CreateStatus inserts a status resource with its details. ECONFLICT if
	// its id is taken; EINVALID if its API root does not exist.
	CreateStatus(st *TAXIIStatus) error
	// Status returns the status resource with the given id in an API root.
	Status(apiRoot, id string) (*TAXIIStatus, error)
}

// StoredCheckpoint is a signed checkpoint of a party's ledger as this node
// keeps it: Note is the C2SP signed note; Cosigned, once the other party
// has witnessed it, the same note with its cosignature added.
type StoredCheckpoint struct {
	Party      string    `json:"party"`
	Size       int64     `json:"size"`
	Hash       [32]byte  `json:"hash"`
	Note       []byte    `json:"note"`
	Cosigned   []byte    `json:"cosigned,omitempty"`
	CosignedAt time.Time `json:"cosigned_at,omitzero"`
	CreatedAt  time.Time `json:"created_at"`
}

// LedgerAlarm is a checkpoint a peer presented that was inconsistent with
// the last one this node witnessed for it — a fork or a log that shrank —
// kept as evidence of it.
type LedgerAlarm struct {
	Party  string    `json:"party"`
	Size   int64     `json:"size"`
	Note   []byte    `json:"note"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// CaseFilter selects cases. Zero fields do not filter.
type CaseFilter struct {
	Status CaseStatus
	Limit  int // 0: no limit
	Offset int
}

// RequestFilter selects requests. Zero fields do not filter; conditions are
// combined with AND.
type RequestFilter struct {
	CaseID string
	// Party matches requests sent by or to this party.
	Party string
	From  string
	To    string
	Type  RequestType
	// Statuses matches any of the listed statuses.
	Statuses []Status
	// OverdueAt, when set, keeps only requests overdue at that instant (see
	// Request.Overdue); the store evaluates it from the stored deadlines.
	OverdueAt time.Time
	Limit     int // 0: no limit
	Offset    int
}
