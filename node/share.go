package node

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/stix"
)

// ShareSpec says what Share sends.
type ShareSpec struct {
	// CaseID is the case the objects are taken from; by default the
	// request's own case.
	CaseID string `json:"case_id,omitempty"`
	// Objects are STIX ids of objects of the case, each sent in its latest
	// version; empty sends every object of the case the peer may receive.
	Objects []string `json:"objects,omitempty"`
	// Note goes with the objects.
	Note string `json:"note,omitempty"`
}

// ShareReport says what Share sent.
type ShareReport struct {
	RequestID string `json:"request_id"`
	Peer      string `json:"peer"`
	CaseID    string `json:"case_id"`
	// Messages are the notifications that carry the objects, in order.
	Messages []string `json:"messages"`
	Shared   int      `json:"shared"`
	// Withheld are the case's objects the peer may not receive (TLP), left
	// out of a share of the whole case.
	Withheld []SkippedItem `json:"withheld"`
}

// shareBytes caps the objects of one notification, so that its signed
// envelope (base64, a third larger) stays well under the peer's limit on
// a message (federation.DefaultMaxMessageBytes).
const shareBytes = 512 << 10

// Share sends objects of a case to the peer of a request, in signed
// notifications about the request: the peer stores them, and its
// correlation shows them as this node's. Each object goes in its latest
// version, only if TLP 2.0 lets the peer receive it (see entitled): of a
// whole case the others are withheld and listed; an object named in
// spec.Objects that the peer may not receive refuses the share
// (EFORBIDDEN). Needs PermWriteRequests and PermRead. EINVALID when the
// request's other party does not run accord, the request is closed or
// withdrawn, there is no case to take the objects from, an object is not
// in it, or nothing is left to send.
func (s *Service) Share(ctx context.Context, actor accord.Actor, requestID string, spec ShareSpec) (*ShareReport, error) {
	if err := actor.Require(accord.PermWriteRequests); err != nil {
		return nil, err
	}
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	if len(spec.Note) > 2000 {
		return nil, accord.FieldError("note", "is longer than 2000 bytes")
	}
	now := s.Now()
	var rep *ShareReport
	err := s.store.Update(ctx, func(tx accord.Tx) error {
		r, err := tx.Request(requestID)
		if err != nil {
			return err
		}
		peer, err := tx.Party(s.counterparty(r))
		if err != nil {
			return err
		}
		rep, err = s.share(tx, r, peer, spec, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("share with the peer of request %s: %w", requestID, err)
	}
	s.onEnqueue(rep.Peer)
	s.log.Info("objects shared", "request", requestID, "peer", rep.Peer, "case", rep.CaseID, "objects", rep.Shared,
		"withheld", len(rep.Withheld), "messages", len(rep.Messages), "by", actor.Name)
	return rep, nil
}

// share queues the notifications of a share inside tx.
func (s *Service) share(tx accord.Tx, r *accord.Request, peer *accord.Party, spec ShareSpec, now time.Time) (*ShareReport, error) {
	if peer.Kind != accord.PartyPeer {
		return nil, accord.FieldError("request", "%s does not run accord: export the case (accord export) and send the file by the agreed channel", peer.ID)
	}
	if r.Status.Terminal() {
		return nil, accord.FieldError("request", "request %s is %s: nothing more is sent about it", r.ID, r.Status)
	}
	caseID := strings.TrimSpace(spec.CaseID)
	if caseID == "" {
		caseID = r.CaseID
	}
	if caseID == "" {
		return nil, accord.FieldError("case_id", "is required: request %s belongs to no case of this node", r.ID)
	}
	objs, withheld, err := caseObjectsTx(tx, caseID, peer.ID)
	if accord.ErrorCode(err) == accord.ENOTFOUND {
		return nil, accord.FieldError("case_id", "unknown case %q", caseID)
	} else if err != nil {
		return nil, err
	}
	if len(spec.Objects) > 0 {
		objs, err = pick(objs, withheld, spec.Objects, caseID)
		if err != nil {
			return nil, err
		}
		withheld = nil
	}
	if len(objs) == 0 {
		why := "case " + caseID + " holds no objects"
		if len(withheld) > 0 {
			why = fmt.Sprintf("%s may receive none of the %d objects of case %s (TLP)", peer.ID, len(withheld), caseID)
		}
		return nil, accord.FieldError("objects", "nothing to share: %s", why)
	}
	rep := &ShareReport{RequestID: r.ID, Peer: peer.ID, CaseID: caseID, Messages: []string{}, Shared: len(objs), Withheld: withheld}
	if rep.Withheld == nil {
		rep.Withheld = []SkippedItem{}
	}
	var rows []*accord.SharedObject
	for _, part := range chunkObjects(objs) {
		if len(part) == 0 {
			o := objs[len(rows)]
			return nil, accord.FieldError("objects", "%s is %d bytes, more than one message carries (%d): share it by TAXII or a file", o.ID(), len(o.Bytes()), shareBytes)
		}
		raws := make([]json.RawMessage, len(part))
		for i, o := range part {
			raws[i] = o.Bytes()
		}
		m, err := s.enqueue(tx, r, peer.ID, accord.KindNotification, stepBody{Note: strings.TrimSpace(spec.Note), Objects: raws}, now)
		if err != nil {
			return nil, err
		}
		rep.Messages = append(rep.Messages, m.ID)
		for _, o := range part {
			rows = append(rows, &accord.SharedObject{MessageID: m.ID, RequestID: r.ID, Peer: peer.ID, Direction: accord.SharedOut,
				ObjectID: o.ID(), Version: objectVersion(o), Type: o.Type(), At: now})
		}
	}
	return rep, tx.AddSharedObjects(rows)
}

// pick returns the objects named by ids, in the order named: EINVALID for
// an id the case does not hold, EFORBIDDEN for one the peer may not
// receive.
func pick(objs []*stix.Object, withheld []SkippedItem, ids []string, caseID string) ([]*stix.Object, error) {
	byID := make(map[string]*stix.Object, len(objs))
	for _, o := range objs {
		byID[o.ID()] = o
	}
	var out []*stix.Object
	seen := map[string]bool{}
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if seen[id] {
			continue
		}
		seen[id] = true
		if o, ok := byID[id]; ok {
			out = append(out, o)
			continue
		}
		if i := slices.IndexFunc(withheld, func(w SkippedItem) bool { return w.Item == id }); i >= 0 {
			return nil, accord.Errorf(accord.EFORBIDDEN, "object %s: %s", id, withheld[i].Reason)
		}
		return nil, accord.FieldError("objects", "%q is not an object of case %s", id, caseID)
	}
	return out, nil
}

// chunkObjects splits objs into runs of at most shareBytes each; an
// object larger than that alone makes an empty run, which the caller
// refuses.
func chunkObjects(objs []*stix.Object) [][]*stix.Object {
	var out [][]*stix.Object
	var cur []*stix.Object
	size := 0
	for _, o := range objs {
		n := len(o.Bytes()) + 1
		if n > shareBytes {
			return append(out, nil)
		}
		if size+n > shareBytes && len(cur) > 0 {
			out, cur, size = append(out, cur), nil, 0
		}
		cur, size = append(cur, o), size+n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// objectVersion is the version key of an object: modified, else created,
// else "" (as intelRow stores it).
func objectVersion(o *stix.Object) string {
	switch {
	case o.Has("modified"):
		return o.Modified().String()
	case o.Has("created"):
		return o.Created().String()
	}
	return ""
}

// sharedIn checks the objects a peer's notification carries and returns
// what writeShared stores (nil for none): each must be a valid STIX 2.1
// object, once. A refusal names the object by its place in the message.
func (in *inbox) sharedIn(m *accord.Message, r *accord.Request, raws []json.RawMessage) (*sharedBatch, error) {
	if len(raws) == 0 {
		return nil, nil
	}
	seen := make(map[accord.ObjectKey]bool, len(raws))
	var rows []*accord.IntelObject
	var obs []*accord.Observable
	for i, raw := range raws {
		o, err := stix.Parse(raw)
		if err == nil {
			err = o.Validate()
		}
		if err != nil {
			return nil, accord.Errorf(accord.EINVALID, "message %s: objects[%d]: %v", m.ID, i, err)
		}
		row := intelRow(o, in.now, "peer:"+in.peer)
		k := accord.ObjectKey{ID: row.ID, Version: row.Version}
		if seen[k] {
			return nil, accord.Errorf(accord.EINVALID, "message %s: objects[%d]: %s %s appears twice", m.ID, i, row.ID, versionName(row.Version))
		}
		seen[k] = true
		rows = append(rows, row)
		for _, ob := range observablesOf(o) {
			obs = append(obs, &ob)
		}
	}
	return &sharedBatch{message: m, request: r.ID, caseID: r.CaseID, rows: rows, obs: obs}, nil
}

// sharedBatch is what one received notification shared.
type sharedBatch struct {
	message *accord.Message
	request string
	caseID  string // the request's case on this node, if any: the objects join it
	rows    []*accord.IntelObject
	obs     []*accord.Observable
}

// writeShared stores what the batch's notifications shared: new object
// versions with their observables, a record per object and message, and
// links into the requests' cases. A version held already with other
// content (see differs) keeps what is held (the message, stored, proves
// what the peer sent) and is logged.
func (in *inbox) writeShared() error {
	if len(in.shares) == 0 {
		return nil
	}
	tx := in.tx
	var keys []accord.ObjectKey
	for _, b := range in.shares {
		for _, row := range b.rows {
			keys = append(keys, accord.ObjectKey{ID: row.ID, Version: row.Version})
		}
	}
	held, err := tx.ObjectDigests(keys)
	if err != nil {
		return err
	}
	var add []*accord.IntelObject
	var obs []*accord.Observable
	var shared []*accord.SharedObject
	for _, b := range in.shares {
		var link []string
		newIDs := map[string]bool{}
		for _, row := range b.rows {
			k := accord.ObjectKey{ID: row.ID, Version: row.Version}
			if d, ok := held[k]; ok && differs(tx, k, d, row) {
				in.s.log.Warn("a peer shared another object under an id and version held here; the one held is kept",
					"peer", in.peer, "message", b.message.ID, "object", row.ID, "version", row.Version)
				continue
			} else if !ok {
				held[k] = row.Digest
				add = append(add, row)
				newIDs[row.ID] = true
			}
			link = append(link, row.ID)
			shared = append(shared, &accord.SharedObject{MessageID: b.message.ID, RequestID: b.request, Peer: in.peer,
				Direction: accord.SharedIn, ObjectID: row.ID, Version: row.Version, Type: row.Type, At: in.now})
		}
		for _, ob := range b.obs {
			if newIDs[ob.ObjectID] {
				obs = append(obs, ob)
			}
		}
		if b.caseID != "" {
			if err := tx.LinkObjects(b.caseID, link); err != nil {
				return err
			}
		}
	}
	if err := tx.AddObjects(add); err != nil {
		return err
	}
	if err := tx.AddObservables(obs); err != nil {
		return err
	}
	return tx.AddSharedObjects(shared)
}

// SharedObjects lists the objects the messages about a request carried,
// both ways. Needs PermRead; ENOTFOUND for an unknown request.
func (s *Service) SharedObjects(ctx context.Context, actor accord.Actor, requestID string) ([]*accord.SharedObject, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	var out []*accord.SharedObject
	err := s.store.View(ctx, func(tx accord.Tx) error {
		if _, err := tx.Request(requestID); err != nil {
			return err
		}
		var err error
		out, err = tx.SharedObjects(requestID)
		return err
	})
	return out, err
}
