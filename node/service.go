package node

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/blob"
)

// Service applies accord's rules for the node owned by party Self.
type Service struct {
	store     accord.Store
	agreement *accord.Agreement
	clock     accord.Clock
	self      string
	log       *slog.Logger
	sealer    accord.Sealer
	notary    Notary
	blobs     *blob.Store
	onEnqueue func(peer string)

	mu        sync.Mutex
	witnessed map[string]int64 // per peer, the size of our ledger it last witnessed
}

// Config gathers what a Service needs. Store, Agreement and Self are required.
type Config struct {
	Store     accord.Store
	Agreement *accord.Agreement
	Clock     accord.Clock // default accord.SystemClock
	Self      string       // the id of this node's party
	Logger    *slog.Logger // default slog.Default()
	// Sealer signs the messages and receipts this node sends to peers. Without
	// one, requests with peers are refused (EUNAVAILABLE).
	Sealer accord.Sealer
	// Notary signs checkpoints and cosigns the peers'; without one, Offer
	// and Witness are refused (EUNAVAILABLE).
	Notary Notary
	// Blobs keeps evidence files; without it, evidence is refused
	// (EUNAVAILABLE).
	Blobs *blob.Store
	// OnEnqueue, when set, is called after a transaction that queued a
	// message for peer has committed (it wakes the delivery worker).
	OnEnqueue func(peer string)
}

// New returns a Service. It does not touch the store.
func New(c Config) *Service {
	if c.Clock == nil {
		c.Clock = accord.SystemClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.OnEnqueue == nil {
		c.OnEnqueue = func(string) {}
	}
	return &Service{store: c.Store, agreement: c.Agreement, clock: c.Clock, self: c.Self, log: c.Logger, sealer: c.Sealer, notary: c.Notary, blobs: c.Blobs, onEnqueue: c.OnEnqueue}
}

// Agreement returns the agreement the node applies.
func (s *Service) Agreement() *accord.Agreement { return s.agreement }

// SelfID returns the id of the node's own party.
func (s *Service) SelfID() string { return s.self }

// Now returns the service clock's current time, in UTC at microsecond precision.
func (s *Service) Now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// ---- parties ----

// InitSelf records the node's own party. It is called once by `accord init`;
// ECONFLICT if a self party already exists with another id.
func (s *Service) InitSelf(ctx context.Context, p accord.Party) (*accord.Party, error) {
	now := s.Now()
	p.Kind = accord.PartySelf
	p.CreatedAt, p.UpdatedAt = now, now
	if err := p.Validate(); err != nil {
		return nil, err
	}
	err := s.store.Update(ctx, func(tx accord.Tx) error {
		all, err := tx.Parties()
		if err != nil {
			return err
		}
		for _, o := range all {
			if o.Kind == accord.PartySelf && o.ID != p.ID {
				return accord.Errorf(accord.ECONFLICT, "this node already belongs to party %s", o.ID)
			}
		}
		return tx.PutParty(&p)
	})
	if err != nil {
		return nil, fmt.Errorf("init party %s: %w", p.ID, err)
	}
	return &p, nil
}

// AddParty registers another party that does not run accord yet (kind
// local), or updates one already registered so. Needs PermAdmin. EINVALID on
// bad fields; ECONFLICT when the id is this node's own party or a trusted peer.
//
// created is true when the party was new.
func (s *Service) AddParty(ctx context.Context, actor accord.Actor, p accord.Party) (_ *accord.Party, created bool, _ error) {
	if err := actor.Require(accord.PermAdmin); err != nil {
		return nil, false, err
	}
	now := s.Now()
	p.Kind = accord.PartyLocal
	if err := p.Validate(); err != nil {
		return nil, false, err
	}
	err := s.store.Update(ctx, func(tx accord.Tx) error {
		old, err := tx.Party(p.ID)
		switch {
		case accord.ErrorCode(err) == accord.ENOTFOUND:
			p.CreatedAt, created = now, true
		case err != nil:
			return err
		case old.Kind != accord.PartyLocal:
			return accord.Errorf(accord.ECONFLICT, "party %s is %s, not a locally registered party", p.ID, old.Kind)
		default:
			p.CreatedAt = old.CreatedAt
		}
		p.UpdatedAt = now
		return tx.PutParty(&p)
	})
	if err != nil {
		return nil, false, fmt.Errorf("add party %s: %w", p.ID, err)
	}
	s.log.Info("party registered", "party", p.ID, "country", p.Country, "by", actor.Name)
	return &p, created, nil
}

// Party returns the party with the given id. Needs PermRead. ENOTFOUND if absent.
func (s *Service) Party(ctx context.Context, actor accord.Actor, id string) (*accord.Party, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	var p *accord.Party
	err := s.store.View(ctx, func(tx accord.Tx) (err error) {
		p, err = tx.Party(id)
		return err
	})
	return p, err
}

// Parties returns every party this node knows, ordered by id. Needs PermRead.
func (s *Service) Parties(ctx context.Context, actor accord.Actor) ([]*accord.Party, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	var out []*accord.Party
	err := s.store.View(ctx, func(tx accord.Tx) (err error) {
		out, err = tx.Parties()
		return err
	})
	return out, err
}

// ---- users ----

// AddUser creates a user with a fresh API token and returns both; the token
// is shown once and only its hash is kept. Needs PermAdmin. EINVALID on a bad
// name or role, ECONFLICT (field name) if the name is taken.
func (s *Service) AddUser(ctx context.Context, actor accord.Actor, name string, role accord.Role) (*accord.User, string, error) {
	if err := actor.Require(accord.PermAdmin); err != nil {
		return nil, "", err
	}
	if err := accord.ValidateUserName("name", name); err != nil {
		return nil, "", err
	}
	if _, err := accord.ParseRole("role", string(role)); err != nil {
		return nil, "", err
	}
	token, hash := accord.NewToken()
	u := &accord.User{Name: name, Role: role, TokenHash: hash, CreatedAt: s.Now()}
	if err := s.store.Update(ctx, func(tx accord.Tx) error { return tx.CreateUser(u) }); err != nil {
		if accord.ErrorCode(err) == accord.ECONFLICT {
			return nil, "", &accord.Error{Code: accord.ECONFLICT, Field: "name", Message: fmt.Sprintf("user %q already exists", name)}
		}
		return nil, "", fmt.Errorf("add user %s: %w", name, err)
	}
	s.log.Info("user added", "user", name, "role", role, "by", actor.Name)
	return u, token, nil
}

// Users lists the users of the node. Needs PermAdmin.
func (s *Service) Users(ctx context.Context, actor accord.Actor) ([]*accord.User, error) {
	if err := actor.Require(accord.PermAdmin); err != nil {
		return nil, err
	}
	var out []*accord.User
	err := s.store.View(ctx, func(tx accord.Tx) (err error) {
		out, err = tx.Users()
		return err
	})
	return out, err
}

// Authenticate returns the actor a bearer token belongs to, or EUNAUTHORIZED.
func (s *Service) Authenticate(ctx context.Context, token string) (accord.Actor, error) {
	if !strings.HasPrefix(token, "acc_") {
		return accord.Actor{}, accord.Errorf(accord.EUNAUTHORIZED, "unknown token")
	}
	var u *accord.User
	err := s.store.View(ctx, func(tx accord.Tx) (err error) {
		u, err = tx.UserByTokenHash(accord.HashToken(token))
		return err
	})
	if accord.ErrorCode(err) == accord.ENOTFOUND {
		return accord.Actor{}, accord.Errorf(accord.EUNAUTHORIZED, "unknown token")
	}
	if err != nil {
		return accord.Actor{}, err
	}
	return accord.Actor{Name: u.Name, Role: u.Role}, nil
}

// Ping checks that the store answers; EUNAVAILABLE or EINTERNAL if not.
func (s *Service) Ping(ctx context.Context) error {
	return s.store.View(ctx, func(tx accord.Tx) error {
		_, err := tx.Party(s.self)
		return err
	})
}

// Self returns this node's own party. Needs PermRead.
func (s *Service) Self(ctx context.Context, actor accord.Actor) (*accord.Party, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	var p *accord.Party
	err := s.store.View(ctx, func(tx accord.Tx) (err error) {
		p, err = tx.Party(s.self)
		return err
	})
	return p, err
}
