package report

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
)

// WeeklySchema names the JSON form of a Weekly; see schema/weekly.json.
const WeeklySchema = "https://accord.example/schemas/report/weekly/1"

// Weekly is a node's statistics of one ISO week (Monday 00:00 UTC to the
// next Monday), as national CERTs publish them, each figure beside the
// previous week's: the cases opened and closed, by category, origin
// country, sector and affected country; the requests opened, answered in
// full and overdue, by type and direction; the threat intelligence shared
// with peers and how much of it correlated. They come from this node's own
// records (a case is one party's), so unlike the review they carry no
// shared digest.
//
// The origin country is where the activity came from, as the case
// records it — never an attribution to a state.
type Weekly struct {
	Schema string `json:"schema"`
	Node   string `json:"node"`
	// Week is the ISO 8601 week, e.g. "2026-W47"; Period its span and
	// Previous the week before.
	Week        string    `json:"week"`
	Period      Period    `json:"period"`
	Previous    Period    `json:"previous_period"`
	GeneratedAt time.Time `json:"generated_at"`
	// Checkpoint is this node's ledger checkpoint when the report was made.
	Checkpoint Checkpoint `json:"checkpoint"`

	Cases    CaseFigures    `json:"cases"`
	Requests RequestFigures `json:"requests"`
	Intel    IntelFigures   `json:"intel"`
}

// WeekCount is a count in the week and in the week before.
type WeekCount struct {
	Week     int `json:"week"`
	Previous int `json:"previous"`
}

// Change is the week's change against the previous week (Week − Previous).
func (c WeekCount) Change() int { return c.Week - c.Previous }

// CaseFigures counts the cases opened and closed.
type CaseFigures struct {
	Opened WeekCount `json:"opened"`
	Closed WeekCount `json:"closed"`
	// Breakdowns of the opened and closed cases, by key; a case of several
	// sectors counts once in each.
	ByCategory        []CaseRow `json:"by_category"`
	ByOriginCountry   []CaseRow `json:"by_origin_country"`
	BySector          []CaseRow `json:"by_sector"`
	ByAffectedCountry []CaseRow `json:"by_affected_country"`
}

// CaseRow is the cases of one category, country or sector; Key "" stands
// for cases that do not say.
type CaseRow struct {
	Key    string    `json:"key"`
	Opened WeekCount `json:"opened"`
	Closed WeekCount `json:"closed"`
}

// RequestFigures counts requests by type and direction, and in total.
type RequestFigures struct {
	Totals RequestRow   `json:"totals"`
	Rows   []RequestRow `json:"rows"`
}

// RequestRow is the requests of one type and direction (both "" in
// Totals): opened (sent or received) in the week, answered in full in it,
// and overdue at its end.
type RequestRow struct {
	Type      accord.RequestType `json:"type,omitempty"`
	Direction accord.Direction   `json:"direction,omitempty"`
	Opened    WeekCount          `json:"opened"`
	Answered  WeekCount          `json:"answered"`
	Overdue   WeekCount          `json:"overdue"`
}

// IntelFigures is the threat intelligence shared with peers in signed
// notifications (see accord.SharedStats), this week and the week before.
type IntelFigures struct {
	ObjectsOut  WeekCount `json:"objects_out"`
	ObjectsIn   WeekCount `json:"objects_in"`
	Observables WeekCount `json:"observables"`
	Correlated  WeekCount `json:"correlated"`
}

// ParseWeek reads an ISO 8601 week ("2026-W47") and returns its Monday,
// 00:00 UTC. EINVALID names the field "week".
func ParseWeek(s string) (time.Time, error) {
	y, w, ok := strings.Cut(s, "-W")
	year, err1 := strconv.Atoi(y)
	week, err2 := strconv.Atoi(w)
	if !ok || err1 != nil || err2 != nil || len(y) != 4 || len(w) != 2 || week < 1 || week > 53 {
		return time.Time{}, accord.FieldError("week", "%q is not an ISO week (YYYY-Www, e.g. 2026-W47)", s)
	}
	// Week 1 holds 4 January; weeks start on Monday.
	jan4 := time.Date(year, time.January, 4, 0, 0, 0, 0, time.UTC)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday())+6)%7)+7*(week-1))
	if yy, ww := monday.ISOWeek(); yy != year || ww != week {
		return time.Time{}, accord.FieldError("week", "%d has no week %d", year, week)
	}
	return monday, nil
}

// WeekOf names the ISO week holding t.
func WeekOf(t time.Time) string {
	y, w := t.UTC().ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// BuildWeekly computes the statistics of the ISO week starting on monday
// (see ParseWeek) on svc's node. A week not over yet is counted up to now,
// overdue at now. Needs PermRead.
func BuildWeekly(ctx context.Context, svc *node.Service, actor accord.Actor, monday time.Time) (*Weekly, error) {
	if err := actor.Require(accord.PermRead); err != nil {
		return nil, err
	}
	now := svc.Now()
	p := Period{From: monday.UTC(), To: monday.UTC().AddDate(0, 0, 7)}
	if p.From.After(now) {
		return nil, accord.FieldError("week", "%s has not begun", WeekOf(p.From))
	}
	prev := Period{From: p.From.AddDate(0, 0, -7), To: p.From}
	w := &Weekly{Schema: WeeklySchema, Node: svc.SelfID(), Week: WeekOf(p.From), Period: p, Previous: prev, GeneratedAt: now}
	end := p.To
	if end.After(now) {
		end = now
	}

	cases, err := svc.Cases(ctx, actor, accord.CaseFilter{})
	if err != nil {
		return nil, err
	}
	w.Cases = caseFigures(cases, p, prev)

	rows := map[[2]string]*RequestRow{}
	tot := &RequestRow{}
	err = svc.EachRequest(ctx, actor, func(r *accord.Request) error {
		dir := r.DirectionFrom(svc.SelfID())
		k := [2]string{string(r.Type), string(dir)}
		row := rows[k]
		if row == nil {
			row = &RequestRow{Type: r.Type, Direction: dir}
		}
		add := func(c *WeekCount, t time.Time) {
			if in(t, p) {
				c.Week++
			} else if in(t, prev) {
				c.Previous++
			}
		}
		before := *row
		for _, x := range []*RequestRow{row, tot} {
			add(&x.Opened, r.SentAt)
			add(&x.Answered, r.AnsweredAt)
			if overdueAt(r, end) != accord.NotOverdue {
				x.Overdue.Week++
			}
			if overdueAt(r, prev.To) != accord.NotOverdue {
				x.Overdue.Previous++
			}
		}
		if *row != before {
			rows[k] = row
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	w.Requests.Totals = *tot
	w.Requests.Rows = []RequestRow{}
	for _, r := range rows {
		w.Requests.Rows = append(w.Requests.Rows, *r)
	}
	slices.SortFunc(w.Requests.Rows, func(a, b RequestRow) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Direction, b.Direction))
	})

	cur, err := svc.SharedStats(ctx, actor, p.From, p.To)
	if err != nil {
		return nil, err
	}
	old, err := svc.SharedStats(ctx, actor, prev.From, prev.To)
	if err != nil {
		return nil, err
	}
	w.Intel = IntelFigures{ObjectsOut: WeekCount{cur.ObjectsOut, old.ObjectsOut}, ObjectsIn: WeekCount{cur.ObjectsIn, old.ObjectsIn},
		Observables: WeekCount{cur.Observables, old.Observables}, Correlated: WeekCount{cur.Correlated, old.Correlated}}
	if w.Checkpoint, err = checkpoint(ctx, svc, actor); err != nil {
		return nil, err
	}
	return w, nil
}

// in reports whether t falls in p.
func in(t time.Time, p Period) bool { return !t.IsZero() && !t.Before(p.From) && t.Before(p.To) }

// overdueAt says which deadline r had passed, unmet, at t (as
// accord.Request.Overdue does now, but from the times the request records,
// so that it holds for a past instant): none for a request not yet sent
// at t.
func overdueAt(r *accord.Request, t time.Time) accord.Overdue {
	done := func(x time.Time) bool { return !x.IsZero() && !x.After(t) }
	if r.SentAt.After(t) || done(r.WithdrawnAt) || done(r.ClosedAt) || done(r.DeclinedAt) {
		return accord.NotOverdue
	}
	acted := done(r.AcknowledgedAt) || done(r.AcceptedAt) || done(r.FirstAnsweredAt)
	if !acted && t.After(r.AcknowledgeBy) {
		return accord.OverdueAcknowledge
	}
	if acted && !r.AnswerBy.IsZero() && !done(r.AnsweredAt) && t.After(r.AnswerBy) {
		return accord.OverdueAnswer
	}
	return accord.NotOverdue
}

// caseFigures counts the cases opened and closed in p and prev.
func caseFigures(cases []*accord.Case, p, prev Period) CaseFigures {
	var f CaseFigures
	by := map[string]map[string]*CaseRow{}
	row := func(dim, key string) *CaseRow {
		if by[dim] == nil {
			by[dim] = map[string]*CaseRow{}
		}
		r := by[dim][key]
		if r == nil {
			r = &CaseRow{Key: key}
			by[dim][key] = r
		}
		return r
	}
	for _, c := range cases {
		for _, ev := range []struct {
			at     time.Time
			opened bool
		}{{c.CreatedAt, true}, {c.ClosedAt, false}} {
			var bump func(WeekCount) WeekCount
			switch {
			case in(ev.at, p):
				bump = func(x WeekCount) WeekCount { x.Week++; return x }
			case in(ev.at, prev):
				bump = func(x WeekCount) WeekCount { x.Previous++; return x }
			default:
				continue
			}
			keys := map[string][]string{"category": {string(c.Category)}, "origin": {c.OriginCountry}, "affected": {c.AffectedCountry}, "sector": c.Sectors}
			if len(c.Sectors) == 0 {
				keys["sector"] = []string{""}
			}
			if ev.opened {
				f.Opened = bump(f.Opened)
			} else {
				f.Closed = bump(f.Closed)
			}
			for dim, ks := range keys {
				for _, k := range ks {
					r := row(dim, k)
					if ev.opened {
						r.Opened = bump(r.Opened)
					} else {
						r.Closed = bump(r.Closed)
					}
				}
			}
		}
	}
	list := func(dim string) []CaseRow {
		out := []CaseRow{}
		for _, r := range by[dim] {
			out = append(out, *r)
		}
		slices.SortFunc(out, func(a, b CaseRow) int {
			return cmp.Or(-cmp.Compare(a.Opened.Week, b.Opened.Week), cmp.Compare(a.Key, b.Key))
		})
		return out
	}
	f.ByCategory, f.ByOriginCountry, f.BySector, f.ByAffectedCountry = list("category"), list("origin"), list("sector"), list("affected")
	return f
}
