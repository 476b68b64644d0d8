package node

import (
	"context"
	"io"
	"slices"
	"strings"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/iodef"
	"github.com/accord-cyber/accord/misp"
	"github.com/accord-cyber/accord/stix"
)

// ImportFormats and ExportFormats name the formats Import and Export take.
var (
	ImportFormats = []string{"stix", "misp", "iodef"}
	ExportFormats = []string{"stix", "misp", "iodef"}
)

// Import imports a file of the given format into a case, all or nothing
// (see ImportObjects): a STIX 2.1 bundle, read as a stream; a MISP event
// (core format, wrapped or bare) or an IODEF v2 document, each read whole
// (their packages bound the size) and converted to STIX objects first.
// What a MISP event or IODEF document holds that has no STIX counterpart
// is listed in the report's Skipped. When opts.NewCase has no TLP (or
// opts.SourceTitle is set and the file names a title), the file's own
// marking (and title) open the case. EINVALID for an unknown format.
func (s *Service) Import(ctx context.Context, actor accord.Actor, format string, r io.Reader, opts ImportOptions) (*ImportReport, error) {
	var objs []*stix.Object
	var skipped []SkippedItem
	switch format {
	case "stix":
		return s.ImportSTIX(ctx, actor, r, opts)
	case "misp":
		if err := actor.Require(accord.PermWriteCases); err != nil {
			return nil, err
		}
		ev, err := misp.Decode(r)
		if err != nil {
			return nil, err
		}
		objs = ev.Objects
		for _, sk := range ev.Skipped {
			skipped = append(skipped, SkippedItem{Item: sk.Path + " (" + sk.Type + ")", Reason: sk.Reason})
		}
		if opts.SourceTitle && strings.TrimSpace(ev.Info) != "" {
			opts.NewCase.Title = ev.Info
		}
		if opts.NewCase.TLP == "" {
			opts.NewCase.TLP = ev.TLP
		}
	case "iodef":
		if err := actor.Require(accord.PermWriteCases); err != nil {
			return nil, err
		}
		doc, err := iodef.Decode(r)
		if err != nil {
			return nil, err
		}
		for i, inc := range doc.Incidents {
			objs = append(objs, inc.Objects...)
			if i == 0 {
				draft := inc.Case()
				if opts.SourceTitle {
					opts.NewCase.Title, opts.NewCase.Summary = draft.Title, draft.Summary
					if opts.NewCase.Category == "" || opts.NewCase.Category == "other" {
						opts.NewCase.Category = draft.Category
					}
				}
				if opts.NewCase.TLP == "" {
					opts.NewCase.TLP = draft.TLP
				}
			}
		}
		for _, sk := range doc.Skipped {
			skipped = append(skipped, SkippedItem{Item: sk.Path, Reason: sk.Reason})
		}
	default:
		return nil, accord.FieldError("format", "%q is not an import format (%s)", format, strings.Join(ImportFormats, ", "))
	}
	i := 0
	rep, err := s.ImportObjects(ctx, actor, func() (*stix.Object, error) {
		if i == len(objs) {
			return nil, io.EOF
		}
		i++
		return objs[i-1], nil
	}, opts)
	if err != nil {
		return nil, err
	}
	rep.Skipped = append(skipped, rep.Skipped...)
	return rep, nil
}

// CheckExport makes the checks of Export that can fail before anything is
// written (format, case, audience, the case's TLP) and returns the case.
func (s *Service) CheckExport(ctx context.Context, actor accord.Actor, format, caseID, audience string) (*accord.Case, error) {
	if !slices.Contains(ExportFormats, format) {
		return nil, accord.FieldError("format", "%q is not an export format (%s)", format, strings.Join(ExportFormats, ", "))
	}
	c, err := s.Case(ctx, actor, caseID)
	if err != nil {
		return nil, err
	}
	if err := s.store.View(ctx, func(tx accord.Tx) error { return checkAudience(tx, audience) }); err != nil {
		return nil, err
	}
	// The case itself (its title, its summary) is marked with its TLP: an
	// audience it is not for gets nothing of it.
	if why := entitled(audience, c.TLP, "", nil); why != "" {
		return nil, accord.Errorf(accord.EFORBIDDEN, "case %s is TLP:%s, not for %s: export it for a peer, or mark it for wider sharing first", c.ID, strings.ToUpper(string(c.TLP)), audience)
	}
	return c, nil
}

// Export writes a case's objects in the given format for an audience and
// returns what was left out: what the audience may not receive under TLP
// 2.0 (see entitled; "" is this node's own organisation, which receives
// everything, accord.AudienceCommunity the community, else a peer party's
// id) and what the format could not carry (always nothing for STIX): a
// MISP event or an IODEF document for the case, written by their
// packages. EINVALID for an unknown format or audience; EFORBIDDEN when
// the case's own TLP is not for the audience; ENOTFOUND for an unknown
// case.
func (s *Service) Export(ctx context.Context, actor accord.Actor, format, caseID, audience string, w io.Writer) ([]SkippedItem, error) {
	c, err := s.CheckExport(ctx, actor, format, caseID, audience)
	if err != nil {
		return nil, err
	}
	if format == "stix" {
		_, withheld, err := s.exportSTIX(ctx, actor, caseID, audience, w)
		return withheld, err
	}
	objs, out, err := s.caseObjects(ctx, actor, caseID, audience)
	if err != nil {
		return nil, err
	}
	switch format {
	case "misp":
		sk, err := misp.Export(w, c, objs)
		if err != nil {
			return nil, err
		}
		for _, k := range sk {
			out = append(out, SkippedItem{Item: k.Path + " (" + k.Type + ")", Reason: k.Reason})
		}
	case "iodef":
		self, err := s.Self(ctx, actor)
		if err != nil {
			return nil, err
		}
		sk, err := iodef.Encode(w, c, objs, iodef.Options{Party: self.ID, Name: self.Name})
		if err != nil {
			return nil, err
		}
		for _, k := range sk {
			out = append(out, SkippedItem{Item: k.Path, Reason: k.Reason})
		}
	}
	return out, nil
}
