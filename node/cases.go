package node

import (
	"context"
	"fmt"

	"github.com/accord-cyber/accord"
)

// NewCase is what a person supplies to open a case.
type NewCase struct {
	Title           string          `json:"title"`
	Summary         string          `json:"summary"`
	Category        accord.Category `json:"category"`
	Sectors         []string        `json:"sectors"`
	AffectedCountry string          `json:"affected_country"`
	OriginCountry   string          `json:"origin_country"`
	TLP             accord.TLP      `json:"tlp"`
}

// CreateCase opens a case owned by this node's party, with the next id of
// the form PARTY-C0001. Needs PermWriteCases. EINVALID names the bad field.
func (s *Service) CreateCase(ctx context.Context, actor accord.Actor, in NewCase) (*accord.Case, error) {
	if err := actor.Require(accord.PermWriteCases); err != nil {
		return nil, err
	}
	c, err := s.newCase(actor, in)
	if err != nil {
		return nil, err
	}
	if err := s.store.Update(ctx, func(tx accord.Tx) error { return s.createCase(tx, c) }); err != nil {
		return nil, fmt.Errorf("create case: %w", err)
	}
	s.log.Info("case opened", "case", c.ID, "category", c.Category, "by", actor.Name)
	return c, nil
}

// newCase returns the case in describes, validated, without an id.
func (s *Service) newCase(actor accord.Actor, in NewCase) (*accord.Case, error) {
	now := s.Now()
	c := &accord.Case{
		Title: in.Title, Summary: in.Summary, Category: in.Category, Sectors: in.Sectors,
		AffectedCountry: in.AffectedCountry, OriginCountry: in.OriginCountry, TLP: in.TLP,
		Status: accord.CaseOpen, CreatedBy: actor.Name, CreatedAt: now, UpdatedAt: now,
	}
	return c, c.ValidateNew()
}

// createCase gives c the next case id and stores it, inside tx.
func (s *Service) createCase(tx accord.Tx, c *accord.Case) error {
	n, err := tx.NextSeq("case")
	if err != nil {
		return err
	}
	c.ID = fmt.Sprintf("%s-C%04d", s.self, n)
	return tx.CreateCase(c)
}

// Case returns one case. Needs PermRead. ENOTFOUND if absent.
func (s *Service) Case(ctx context.Context, actor accord.Actor, id string) (*accord.Case, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	var c *accord.Case
	err := s.store.View(ctx, func(tx accord.Tx) (err error) {
		c, err = tx.Case(id)
		return err
	})
	return c, err
}

// Cases lists cases, newest first. Needs PermRead.
func (s *Service) Cases(ctx context.Context, actor accord.Actor, f accord.CaseFilter) ([]*accord.Case, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	if f.Status != "" && f.Status != accord.CaseOpen && f.Status != accord.CaseClosed {
		return nil, accord.FieldError("status", "%q is not a case status (open, closed)", f.Status)
	}
	var out []*accord.Case
	err := s.store.View(ctx, func(tx accord.Tx) (err error) {
		out, err = tx.Cases(f)
		return err
	})
	return out, err
}

// CloseCase closes an open case. Needs PermWriteCases. ECONFLICT if already closed.
func (s *Service) CloseCase(ctx context.Context, actor accord.Actor, id string) (*accord.Case, error) {
	if err := actor.Require(accord.PermWriteCases); err != nil {
		return nil, err
	}
	now := s.Now()
	var c *accord.Case
	err := s.store.Update(ctx, func(tx accord.Tx) (err error) {
		c, err = tx.Case(id)
		if err != nil {
			return err
		}
		if c.Status == accord.CaseClosed {
			return accord.Errorf(accord.ECONFLICT, "case %s is already closed", id)
		}
		c.Status, c.ClosedAt, c.UpdatedAt = accord.CaseClosed, now, now
		return tx.UpdateCase(c)
	})
	if err != nil {
		return nil, fmt.Errorf("close case %s: %w", id, err)
	}
	return c, nil
}
