package node

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/gowebpki/jcs"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/stix"
)

// ImportOptions says where imported objects go.
type ImportOptions struct {
	// CaseID is the case the objects join; when empty, NewCase is opened.
	CaseID  string
	NewCase NewCase
	// Source says where the objects come from, e.g. "stix:bundle.json".
	Source string
	// SourceTitle lets a file that names its own title (a MISP event's
	// info, an IODEF incident's description) title the case it opens;
	// NewCase.Title is then the fallback.
	SourceTitle bool
	// Progress, when set, is called with the number of objects read so far.
	Progress func(objects int)
}

// ImportReport says what an import did.
type ImportReport struct {
	CaseID string `json:"case_id"`
	Source string `json:"source"`
	// Objects is how many objects were read; Added were stored, Unchanged
	// were held already (same id, version and content) and are now in the
	// case too, Skipped were not taken, with the reason.
	Objects     int           `json:"objects"`
	Added       int           `json:"added"`
	Unchanged   int           `json:"unchanged"`
	Skipped     []SkippedItem `json:"skipped"`
	Observables int           `json:"observables"`
}

// SkippedItem is something an import did not take, and why.
type SkippedItem struct {
	Item   string `json:"item"`
	Reason string `json:"reason"`
}

// importChunk is how many objects an import reads, checks and writes at a
// time: memory stays bounded whatever the size of the file.
const importChunk = 1000

// ImportSTIX imports the objects of a STIX 2.1 bundle read from r into a
// case, all or nothing: one invalid object refuses the whole file, naming
// the object and the property (EINVALID), and nothing is stored. The bundle
// is read as a stream, a chunk of objects at a time. Needs PermWriteCases.
func (s *Service) ImportSTIX(ctx context.Context, actor accord.Actor, r io.Reader, opts ImportOptions) (*ImportReport, error) {
	dec := stix.NewDecoder(r)
	dec.NoValidate = true // ImportObjects validates
	return s.ImportObjects(ctx, actor, dec.Next, opts)
}

// firstReason returns, for a refusal by package stix, the first reason as
// an EINVALID *accord.Error naming the object and the property, which
// wraps the *stix.Error (whose TooLarge the API answers with 413).
func firstReason(err error) error {
	var es stix.Errors
	var e *stix.Error
	switch {
	case errors.As(err, &es) && len(es) > 0:
		e = es[0]
	case errors.As(err, &e):
	default:
		return err
	}
	ae, ok := e.Unwrap().(*accord.Error)
	if !ok {
		return err
	}
	ae.Err = e
	return ae
}

// ImportObjects imports the objects next returns, until it returns io.EOF,
// into a case in one transaction: any other error from next, or an object
// that fails validation, refuses the whole import and stores nothing.
// Objects held already in the same version and content are linked to the
// case and counted unchanged; another object under an id and version held
// already is skipped with the reason. Needs PermWriteCases.
func (s *Service) ImportObjects(ctx context.Context, actor accord.Actor, next func() (*stix.Object, error), opts ImportOptions) (*ImportReport, error) {
	if err := actor.Require(accord.PermWriteCases); err != nil {
		return nil, err
	}
	var newCase *accord.Case
	if opts.CaseID == "" {
		c, err := s.newCase(actor, opts.NewCase)
		if err != nil {
			return nil, err
		}
		newCase = c
	}
	rep := &ImportReport{Source: opts.Source, Skipped: []SkippedItem{}}
	err := s.store.Update(ctx, func(tx accord.Tx) error {
		*rep = ImportReport{Source: opts.Source, Skipped: []SkippedItem{}, CaseID: opts.CaseID}
		if newCase != nil {
			if err := s.createCase(tx, newCase); err != nil {
				return err
			}
			rep.CaseID = newCase.ID
		} else if _, err := tx.Case(opts.CaseID); err != nil {
			return err
		}
		for done := false; !done; {
			var chunk []*stix.Object
			for len(chunk) < importChunk {
				o, err := next()
				if err == io.EOF {
					done = true
					break
				}
				if err != nil {
					return firstReason(err)
				}
				if err := o.Validate(); err != nil {
					return firstReason(err)
				}
				chunk = append(chunk, o)
			}
			if err := s.importChunk(tx, rep, chunk); err != nil {
				return err
			}
			if opts.Progress != nil {
				opts.Progress(rep.Objects)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", opts.Source, err)
	}
	s.log.Info("objects imported", "case", rep.CaseID, "source", rep.Source, "objects", rep.Objects, "added", rep.Added,
		"unchanged", rep.Unchanged, "skipped", len(rep.Skipped), "by", actor.Name)
	return rep, nil
}

// importChunk stores one chunk of checked objects.
func (s *Service) importChunk(tx accord.Tx, rep *ImportReport, chunk []*stix.Object) error {
	if len(chunk) == 0 {
		return nil
	}
	now := s.Now()
	rows := make([]*accord.IntelObject, 0, len(chunk))
	keys := make([]accord.ObjectKey, 0, len(chunk))
	for _, o := range chunk {
		row := intelRow(o, now, rep.Source)
		rows = append(rows, row)
		keys = append(keys, accord.ObjectKey{ID: row.ID, Version: row.Version})
	}
	held, err := tx.ObjectDigests(keys)
	if err != nil {
		return err
	}
	var add []*accord.IntelObject
	var link []string
	var obs []*accord.Observable
	for i, row := range rows {
		rep.Objects++
		k := keys[i]
		if d, ok := held[k]; ok {
			if differs(tx, k, d, row) {
				rep.Skipped = append(rep.Skipped, SkippedItem{Item: row.ID + " " + versionName(row.Version),
					Reason: "another object with this id and version is held already; a changed object needs a new modified time"})
				continue
			}
			rep.Unchanged++
			link = append(link, row.ID)
			continue
		}
		held[k] = row.Digest // a repeat within the chunk is unchanged, or skipped
		rep.Added++
		add = append(add, row)
		link = append(link, row.ID)
		for _, ob := range observablesOf(chunk[i]) {
			obs = append(obs, &ob)
		}
	}
	if err := tx.AddObjects(add); err != nil {
		return err
	}
	if err := tx.LinkObjects(rep.CaseID, link); err != nil {
		return err
	}
	rep.Observables += len(obs)
	return tx.AddObservables(obs)
}

// differs reports whether row is another object than the version held
// under its key, whose digest is held: the bytes differ and so does their
// RFC 8785 form. The same object may come back in other bytes — shared by
// a peer (canonical JSON inside a signed message) after it was imported
// here as a file, or the other way round — and is then the same version.
func differs(tx accord.Tx, k accord.ObjectKey, held string, row *accord.IntelObject) bool {
	if held == row.Digest {
		return false
	}
	got, err := tx.ObjectsByKey([]accord.ObjectKey{k})
	if err != nil || got[k] == nil {
		return true
	}
	a, errA := jcs.Transform(got[k].Object)
	b, errB := jcs.Transform(row.Object)
	return errA != nil || errB != nil || !bytes.Equal(a, b)
}

func versionName(v string) string {
	if v == "" {
		return "(unversioned)"
	}
	return "version " + v
}

// intelRow is the stored form of an object.
func intelRow(o *stix.Object, now time.Time, source string) *accord.IntelObject {
	raw := o.Bytes()
	sum := sha256.Sum256(raw)
	row := &accord.IntelObject{ID: o.ID(), Type: o.Type(), SpecVersion: o.SpecVersion(), AddedAt: now, Source: source,
		Digest: hex.EncodeToString(sum[:]), Object: bytes.Clone(raw)}
	switch {
	case o.Has("modified"):
		row.Version = o.Modified().String()
	case o.Has("created"):
		row.Version = o.Created().String()
	}
	if t, ok := o.TLP(); ok {
		row.TLP = accordTLP(t)
	}
	return row
}

// accordTLP maps a STIX TLP marking to a TLP 2.0 label (TLP 1.0 WHITE is
// TLP 2.0 CLEAR).
func accordTLP(t stix.TLP) accord.TLP {
	if t.Level == "white" {
		return accord.TLPClear
	}
	return accord.TLP(t.Level)
}

// ExportSTIX writes every object version of a case as a STIX 2.1 bundle,
// streamed. Needs PermRead; ENOTFOUND for an unknown case.
func (s *Service) ExportSTIX(ctx context.Context, actor accord.Actor, caseID string, w io.Writer) (int, error) {
	n, _, err := s.exportSTIX(ctx, actor, caseID, "", w)
	return n, err
}

// exportSTIX is ExportSTIX for an audience (see entitled): the versions the
// audience may not receive are left out and returned as withheld.
func (s *Service) exportSTIX(ctx context.Context, actor accord.Actor, caseID, audience string, w io.Writer) (int, []SkippedItem, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return 0, nil, err
	}
	n := 0
	var withheld []SkippedItem
	err := s.store.View(ctx, func(tx accord.Tx) error {
		c, err := tx.Case(caseID)
		if err != nil {
			return err
		}
		if err := checkAudience(tx, audience); err != nil {
			return err
		}
		enc, err := stix.NewEncoder(w, "")
		if err != nil {
			return err
		}
		if err := tx.CaseObjects(caseID, func(row *accord.IntelObject) error {
			if why := entitled(audience, c.TLP, row.TLP, row.Object); why != "" {
				withheld = append(withheld, SkippedItem{Item: row.ID + " " + versionName(row.Version), Reason: why})
				return nil
			}
			o, err := stix.Parse(row.Object)
			if err != nil {
				return accord.Internal(err, "stored object %s", row.ID)
			}
			n++
			return enc.Encode(o)
		}); err != nil {
			return err
		}
		return enc.Close()
	})
	return n, withheld, err
}

// checkAudience returns EINVALID unless audience is "" (this node's own
// organisation), accord.AudienceCommunity or a peer party.
func checkAudience(tx accord.Tx, audience string) error {
	if audience == "" || audience == accord.AudienceCommunity {
		return nil
	}
	p, err := tx.Party(audience)
	if accord.ErrorCode(err) == accord.ENOTFOUND || (err == nil && p.Kind != accord.PartyPeer) {
		return accord.FieldError("for", "%q is neither %q nor a peer party", audience, accord.AudienceCommunity)
	}
	return err
}

// entitled returns "" when audience may receive an object of a case marked
// caseTLP whose own marking is own (TLP 2.0, accord.TAXIICollection.Serves:
// the stricter of the two applies; TLP:RED only to a peer the object names
// in accord.RecipientsProperty), else the reason it may not. The empty
// audience is this node's own organisation, which may see everything its
// users may read.
func entitled(audience string, caseTLP, own accord.TLP, raw json.RawMessage) string {
	if audience == "" {
		return ""
	}
	t := caseTLP
	if own != "" {
		t = accord.Stricter(t, own)
	}
	var recipients []string
	if t == accord.TLPRed {
		recipients = recipientsOf(raw)
	}
	c := accord.TAXIICollection{Audience: audience, MaxTLP: accord.TLPRed}
	if c.Serves(t, recipients) {
		return ""
	}
	return fmt.Sprintf("withheld: TLP:%s is not for %s", strings.ToUpper(string(t)), audience)
}

// CaseObjects returns the objects of a case as stix objects, the latest
// version of each (by modified time) in the order first added. Needs
// PermRead.
func (s *Service) CaseObjects(ctx context.Context, actor accord.Actor, caseID string) ([]*stix.Object, error) {
	objs, _, err := s.caseObjects(ctx, actor, caseID, "")
	return objs, err
}

// caseObjects is CaseObjects for an audience: the latest versions the
// audience may not receive are returned as withheld instead.
func (s *Service) caseObjects(ctx context.Context, actor accord.Actor, caseID, audience string) ([]*stix.Object, []SkippedItem, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, nil, err
	}
	var out []*stix.Object
	var withheld []SkippedItem
	err := s.store.View(ctx, func(tx accord.Tx) (err error) {
		out, withheld, err = caseObjectsTx(tx, caseID, audience)
		return err
	})
	return out, withheld, err
}

// caseObjectsTx is caseObjects inside tx.
func caseObjectsTx(tx accord.Tx, caseID, audience string) ([]*stix.Object, []SkippedItem, error) {
	c, err := tx.Case(caseID)
	if err != nil {
		return nil, nil, err
	}
	if err := checkAudience(tx, audience); err != nil {
		return nil, nil, err
	}
	var out []*stix.Object
	var rows []*accord.IntelObject
	at := map[string]int{}
	err = tx.CaseObjects(caseID, func(row *accord.IntelObject) error {
		o, err := stix.Parse(row.Object)
		if err != nil {
			return accord.Internal(err, "stored object %s", row.ID)
		}
		if i, ok := at[o.ID()]; ok {
			if o.Modified().Compare(out[i].Modified()) > 0 {
				out[i], rows[i] = o, row
			}
			return nil
		}
		at[o.ID()] = len(out)
		out, rows = append(out, o), append(rows, row)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	kept := out[:0]
	var withheld []SkippedItem
	for i, o := range out {
		if why := entitled(audience, c.TLP, rows[i].TLP, rows[i].Object); why != "" {
			withheld = append(withheld, SkippedItem{Item: o.ID(), Reason: why})
			continue
		}
		kept = append(kept, o)
	}
	return kept, withheld, nil
}

// Correlation is an observable of a case also held in other cases: equal,
// or, for addresses and networks, containing or contained.
type Correlation struct {
	Kind   accord.ObservableKind `json:"kind"`
	Value  string                `json:"value"`
	Object string                `json:"object"`
	// Matches are the other cases' observables that match, each with its case.
	Matches []accord.ObservableHit `json:"matches"`
}

// Correlations returns, for each observable of a case, the other cases
// that hold the same value (or an address in its network, or a network
// holding its address), and the requests about which a peer shared it.
// Needs PermRead; ENOTFOUND for an unknown case.
func (s *Service) Correlations(ctx context.Context, actor accord.Actor, caseID string) ([]Correlation, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	out := []Correlation{}
	err := s.store.View(ctx, func(tx accord.Tx) error {
		if _, err := tx.Case(caseID); err != nil {
			return err
		}
		obs, err := tx.CaseObservables(caseID)
		if err != nil {
			return err
		}
		for _, o := range obs {
			hits, err := matches(tx, o)
			if err != nil {
				return err
			}
			var other []accord.ObservableHit
			for _, h := range hits {
				if h.CaseID != caseID {
					other = append(other, h)
				}
			}
			if len(other) > 0 {
				out = append(out, Correlation{Kind: o.Kind, Value: o.Value, Object: o.ObjectID, Matches: other})
			}
		}
		return nil
	})
	return out, err
}

// Correlate returns the cases holding a value like raw of the given kind
// (equal, or for addresses and networks, containing or contained). Needs
// PermRead; EINVALID when raw is not a value of that kind.
func (s *Service) Correlate(ctx context.Context, actor accord.Actor, kind accord.ObservableKind, raw string) ([]accord.ObservableHit, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	if kind == accord.ObsCIDR {
		kind = accord.ObsIP // normalize tells them apart
	}
	o, ok := normalize(kind, raw)
	if !ok {
		return nil, accord.FieldError("value", "%q is not a %s value", raw, kind)
	}
	var hits []accord.ObservableHit
	err := s.store.View(ctx, func(tx accord.Tx) (err error) {
		hits, err = matches(tx, o)
		return err
	})
	return hits, err
}

// matches looks up the observables matching o in every case, and in what
// peers shared (hits with Peer and RequestID): equal ones,
// networks holding o, and for a network the addresses and longer networks
// inside it. Sorted by case, kind and value, without repeats.
func matches(tx accord.Tx, o accord.Observable) ([]accord.ObservableHit, error) {
	hits, err := tx.ObservableCases(containing(o))
	if err != nil {
		return nil, err
	}
	if o.Kind == accord.ObsCIDR {
		a, _ := netip.AddrFromSlice(o.Addr)
		p := netip.PrefixFrom(a, o.Bits)
		hi := lastAddr(p)
		inside, err := tx.AddressCases(o.Addr, hi[:], o.Bits)
		if err != nil {
			return nil, err
		}
		hits = append(hits, inside...)
	}
	sort.Slice(hits, func(i, j int) bool { return hitLess(hits[i], hits[j]) })
	out := hits[:0]
	for i, h := range hits {
		if i > 0 && !hitLess(hits[i-1], h) {
			continue // equal to the one before
		}
		out = append(out, h)
	}
	return out, nil
}

// hitLess orders hits by holder (this node's cases first, then what peers
// shared, by peer and request), kind, value and object.
func hitLess(a, b accord.ObservableHit) bool {
	if ownA, ownB := a.CaseID != "", b.CaseID != ""; ownA != ownB {
		return ownA
	}
	if c := cmp.Or(strings.Compare(a.CaseID, b.CaseID), strings.Compare(a.Peer, b.Peer), strings.Compare(a.RequestID, b.RequestID),
		strings.Compare(string(a.Kind), string(b.Kind)), strings.Compare(a.Value, b.Value)); c != 0 {
		return c < 0
	}
	return a.ObjectID < b.ObjectID
}

// lastAddr is the last 16-byte address of a network given in the 16-byte
// space.
func lastAddr(p netip.Prefix) [16]byte {
	a := p.Addr().As16()
	for i := p.Bits(); i < 128; i++ {
		a[i/8] |= 0x80 >> (i % 8)
	}
	return a
}
