package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/federation"
	"github.com/accord-cyber/accord/report"
)

func (m *Main) demoCommand() *cobra.Command {
	var dir string
	var exit bool
	cmd := &cobra.Command{
		Use:   "demo [--dir DIR] [--exit] [--json]",
		Short: "Run two nodes (a US and a Chinese CERT) on loopback and play a realistic exchange between them",
		Long: `demo creates two node homes, DIR/us-cert and DIR/cncert (DIR defaults to a
new temporary directory), exchanges their party cards, serves both on
loopback and plays a scenario of cases and requests in both directions,
driven by a scenario clock. Without --exit it keeps serving and prints each
node's API address and a token; with --exit it prints a summary and exits 0
only if everything held. A home left in DIR can be served again with
accord serve --home DIR/us-cert.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.runDemo(cmd.Context(), dir, exit)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory for the two node homes (default: a new temporary directory)")
	cmd.Flags().BoolVar(&exit, "exit", false, "print a summary and exit instead of serving")
	return cmd
}

// scenarioClock is the demo's clock: both nodes read it, and only the
// scenario moves it, so the exchange replays identically every time.
type scenarioClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *scenarioClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *scenarioClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// demoNode is one node of the demo.
type demoNode struct {
	id    string
	home  string
	main  *Main
	env   *env
	run   *running
	token string
}

// demoStart is when the demo's scenario begins.
var demoStart = time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)

// nodeSummary is one node's part of the demo's JSON summary.
type nodeSummary struct {
	RequestsSent     int            `json:"requests_sent"`
	RequestsReceived int            `json:"requests_received"`
	Messages         int            `json:"messages"`
	Receipts         int            `json:"receipts"`
	ByStatus         map[string]int `json:"by_status"`
	// SharedOut and SharedIn count the object versions sent to and
	// received from the peer; PeerCorrelations the observables of this
	// node's cases that the peer shared too.
	SharedOut        int `json:"shared_out"`
	SharedIn         int `json:"shared_in"`
	PeerCorrelations int `json:"peer_correlations"`
	// ReviewDigest is the digest of the joint-dialogue review of the
	// scenario's days (report.BuildReview), which both nodes must share.
	ReviewDigest string `json:"review_digest"`
	API          string `json:"api"`
	// Verify is "ok" when `accord verify` holds on the node, else the first
	// problem it found.
	Verify string `json:"verify"`
	// Cosigned counts the node's ledger checkpoints the other node witnessed.
	Cosigned int `json:"cosigned_checkpoints"`
}

// demoSummary is what `accord demo --exit --json` prints.
type demoSummary struct {
	OK    bool                   `json:"ok"`
	Agree bool                   `json:"agree"`
	Nodes map[string]nodeSummary `json:"nodes"`
	Dir   string                 `json:"dir"`
	// Problems lists what did not hold, when ok is false.
	Problems []string `json:"problems,omitempty"`
}

func (m *Main) runDemo(ctx context.Context, dir string, exit bool) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "accord-demo-")
		if err != nil {
			return err
		}
		dir = d
	}
	clock := &scenarioClock{now: demoStart}
	us := &demoNode{id: "us-cert", home: filepath.Join(dir, "us-cert")}
	cn := &demoNode{id: "cncert", home: filepath.Join(dir, "cncert")}
	parties := map[*demoNode]accord.Party{
		us: {ID: "us-cert", Name: "US-CERT (CISA)", Country: "US"},
		cn: {ID: "cncert", Name: "CNCERT/CC", Country: "CN"},
	}
	for _, n := range []*demoNode{us, cn} {
		if _, err := os.Stat(n.home); err == nil {
			return accord.Errorf(accord.ECONFLICT, "%s exists already: give demo an empty --dir (or serve it with accord serve --home %s)", n.home, n.home)
		}
		apiAddr, err := freeAddr()
		if err != nil {
			return err
		}
		peerAddr, err := freeAddr()
		if err != nil {
			return err
		}
		n.main = &Main{Stdin: m.Stdin, Stdout: io.Discard, Stderr: m.Stderr, Getenv: m.Getenv, Clock: clock, home: n.home, jsonOut: true}
		if err := n.main.runInit(ctx, parties[n], apiAddr, peerAddr, ""); err != nil {
			return fmt.Errorf("init %s: %w", n.id, err)
		}
		if n.env, err = n.main.open(ctx, false); err != nil {
			return fmt.Errorf("open %s: %w", n.id, err)
		}
		defer n.env.Close()
	}
	admin := accord.Actor{Name: "demo", Role: accord.RoleAdmin}
	for _, pair := range [][2]*demoNode{{us, cn}, {cn, us}} {
		self, err := pair[1].env.svc.Self(ctx, admin)
		if err != nil {
			return err
		}
		card, err := federation.ParseCard(mustJSON(federation.NewCard(*self)))
		if err != nil {
			return fmt.Errorf("card of %s: %w", pair[1].id, err)
		}
		if _, err := pair[0].env.svc.AddPeer(ctx, admin, card.Party()); err != nil {
			return fmt.Errorf("%s trusts %s: %w", pair[0].id, pair[1].id, err)
		}
		_, token, err := pair[0].env.svc.AddUser(ctx, admin, "demo-admin", accord.RoleAdmin)
		if err != nil {
			return err
		}
		pair[0].token = token
	}
	for _, n := range []*demoNode{us, cn} {
		var err error
		if n.run, err = n.main.start(ctx, n.env); err != nil {
			return fmt.Errorf("start %s: %w", n.id, err)
		}
	}
	stopAll := func() error {
		return errors.Join(us.run.stop(), cn.run.stop())
	}

	sc := &scenario{ctx: ctx, clock: clock, us: us, cn: cn}
	playErr := sc.play()
	sum := summarize(ctx, dir, us, cn)
	if playErr != nil {
		sum.OK = false
		sum.Problems = append([]string{"scenario: " + cliMessage(playErr)}, sum.Problems...)
	}

	if exit {
		if err := stopAll(); err != nil {
			sum.OK = false
			sum.Problems = append(sum.Problems, "stop: "+err.Error())
		}
		if m.jsonOut {
			if err := m.printJSON(sum); err != nil {
				return err
			}
		} else {
			m.printDemoSummary(sum)
		}
		if !sum.OK {
			m.exitCode = 1
		}
		return nil
	}
	m.printDemoSummary(sum)
	fmt.Fprintf(m.Stdout, "\nBoth nodes keep serving until Ctrl-C:\n")
	for _, n := range []*demoNode{us, cn} {
		fmt.Fprintf(m.Stdout, "  %-8s API http://%s/api/v1  token %s\n", n.id, n.run.apiAddr, n.token)
		fmt.Fprintf(m.Stdout, "           e.g. curl -H 'Authorization: Bearer %s' http://%s/api/v1/requests\n", n.token, n.run.apiAddr)
	}
	fmt.Fprintf(m.Stdout, "Homes in %s (serve one again with: accord serve --home %s)\n", dir, us.home)
	<-ctx.Done()
	return stopAll()
}

func (m *Main) printDemoSummary(s demoSummary) {
	verdict := "everything held"
	if !s.OK {
		verdict = "SOMETHING DID NOT HOLD"
	}
	fmt.Fprintf(m.Stdout, "accord demo: %s; both nodes agree on every request: %v\n\n", verdict, s.Agree)
	rows := [][]string{{"NODE", "SENT", "RECEIVED", "MESSAGES", "RECEIPTS", "OBJECTS OUT/IN", "PEER CORRELATIONS", "VERIFY", "BY STATUS"}}
	for _, id := range []string{"us-cert", "cncert"} {
		n := s.Nodes[id]
		var st []string
		for k, v := range n.ByStatus {
			st = append(st, fmt.Sprintf("%s %d", k, v))
		}
		sort.Strings(st)
		rows = append(rows, []string{id, fmt.Sprint(n.RequestsSent), fmt.Sprint(n.RequestsReceived), fmt.Sprint(n.Messages), fmt.Sprint(n.Receipts),
			fmt.Sprintf("%d/%d", n.SharedOut, n.SharedIn), fmt.Sprint(n.PeerCorrelations), n.Verify, fmt.Sprint(st)})
	}
	m.table(rows)
	for _, p := range s.Problems {
		fmt.Fprintf(m.Stdout, "problem: %s\n", p)
	}
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// summarize counts what each node holds and checks that both hold the same
// state for every request.
func summarize(ctx context.Context, dir string, us, cn *demoNode) demoSummary {
	sum := demoSummary{OK: true, Agree: true, Dir: dir, Nodes: map[string]nodeSummary{}}
	views := map[string]map[string]sharedView{}
	for _, n := range []*demoNode{us, cn} {
		ns := nodeSummary{ByStatus: map[string]int{}, API: n.run.apiAddr}
		views[n.id] = map[string]sharedView{}
		err := n.env.store.View(ctx, func(tx accord.Tx) error {
			rs, err := tx.Requests(accord.RequestFilter{})
			if err != nil {
				return err
			}
			for _, r := range rs {
				if r.From == n.id {
					ns.RequestsSent++
				} else {
					ns.RequestsReceived++
				}
				ns.ByStatus[string(r.Status)]++
				views[n.id][r.ID] = shareable(r)
			}
			if ns.Messages, err = tx.CountMessages(""); err != nil {
				return err
			}
			cps, err := tx.Checkpoints(n.id)
			if err != nil {
				return err
			}
			for _, cp := range cps {
				if len(cp.Cosigned) > 0 {
					ns.Cosigned++
				}
			}
			ns.Receipts, err = tx.CountReceipts("")
			return err
		})
		if err != nil {
			sum.OK = false
			sum.Problems = append(sum.Problems, fmt.Sprintf("%s: %v", n.id, err))
		}
		if err := countShared(ctx, n, &ns); err != nil {
			sum.OK = false
			sum.Problems = append(sum.Problems, fmt.Sprintf("%s: %v", n.id, err))
		}
		if r, err := demoReview(ctx, n); err != nil {
			sum.OK = false
			sum.Problems = append(sum.Problems, fmt.Sprintf("%s: review: %v", n.id, err))
		} else {
			ns.ReviewDigest = r.Digest
		}
		if rep, err := n.env.svc.Verify(ctx, operator()); err != nil {
			ns.Verify = err.Error()
		} else if rep.OK {
			ns.Verify = "ok"
		} else {
			ns.Verify = rep.Problem
		}
		if ns.Verify != "ok" {
			sum.OK = false
			sum.Problems = append(sum.Problems, fmt.Sprintf("%s: verify: %s", n.id, ns.Verify))
		}
		if pending, err := n.env.svc.PendingOutbox(ctx, ""); err != nil || pending != 0 {
			sum.OK = false
			sum.Problems = append(sum.Problems, fmt.Sprintf("%s: %d messages not delivered (%v)", n.id, pending, err))
		}
		sum.Nodes[n.id] = ns
	}
	for _, pair := range [][2]string{{"us-cert", "cncert"}, {"cncert", "us-cert"}} {
		for id, v := range views[pair[0]] {
			w, ok := views[pair[1]][id]
			if !ok {
				sum.Agree = false
				sum.Problems = append(sum.Problems, fmt.Sprintf("request %s is on %s but not on %s", id, pair[0], pair[1]))
			} else if v != w {
				sum.Agree = false
				sum.Problems = append(sum.Problems, fmt.Sprintf("request %s: %s holds %+v, %s holds %+v", id, pair[0], v, pair[1], w))
			}
		}
	}
	if a, b := sum.Nodes["us-cert"].ReviewDigest, sum.Nodes["cncert"].ReviewDigest; a != b {
		sum.Agree = false
		sum.Problems = append(sum.Problems, fmt.Sprintf("the review digests differ: us-cert %s, cncert %s", a, b))
	}
	sum.OK = sum.OK && sum.Agree
	return sum
}

// demoReview is the review of the scenario's days, up to the day before
// the scenario clock's now.
func demoReview(ctx context.Context, n *demoNode) (*report.Review, error) {
	return report.BuildReview(ctx, n.env.svc, operator(), report.ReviewOptions{From: demoStart, To: n.env.svc.Now().AddDate(0, 0, -1)})
}

// countShared counts what n shared with its peer and received from it, and
// the correlations of its cases with what the peer shared.
func countShared(ctx context.Context, n *demoNode, ns *nodeSummary) error {
	var reqs []*accord.Request
	var cases []*accord.Case
	err := n.env.store.View(ctx, func(tx accord.Tx) (err error) {
		if reqs, err = tx.Requests(accord.RequestFilter{}); err != nil {
			return err
		}
		cases, err = tx.Cases(accord.CaseFilter{})
		return err
	})
	if err != nil {
		return err
	}
	for _, r := range reqs {
		objs, err := n.env.svc.SharedObjects(ctx, operator(), r.ID)
		if err != nil {
			return err
		}
		for _, o := range objs {
			if o.Direction == accord.SharedOut {
				ns.SharedOut++
			} else {
				ns.SharedIn++
			}
		}
	}
	for _, c := range cases {
		cs, err := n.env.svc.Correlations(ctx, operator(), c.ID)
		if err != nil {
			return err
		}
		for _, c := range cs {
			for _, h := range c.Matches {
				if h.Peer != "" {
					ns.PeerCorrelations++
				}
			}
		}
	}
	return nil
}

// sharedView is the part of a request both parties must hold identically.
// The case stays with the requester; who recorded what is local.
type sharedView struct {
	From, To                   string
	Type                       accord.RequestType
	Priority                   accord.Priority
	Subject                    string
	Status                     accord.Status
	SentAt, ReceivedAt         time.Time
	AcknowledgeBy, AnswerBy    time.Time
	AcknowledgedAt, AcceptedAt time.Time
	DeclinedAt                 time.Time
	DeclineGround              string
	FirstAnsweredAt            time.Time
	AnsweredAt, RatedAt        time.Time
	Rating                     int
	ClosedAt, WithdrawnAt      time.Time
	Seq                        int
}

func shareable(r *accord.Request) sharedView {
	return sharedView{From: r.From, To: r.To, Type: r.Type, Priority: r.Priority, Subject: r.Subject, Status: r.Status,
		SentAt: r.SentAt, ReceivedAt: r.ReceivedAt, AcknowledgeBy: r.AcknowledgeBy, AnswerBy: r.AnswerBy,
		AcknowledgedAt: r.AcknowledgedAt, AcceptedAt: r.AcceptedAt, DeclinedAt: r.DeclinedAt, DeclineGround: r.DeclineGround,
		FirstAnsweredAt: r.FirstAnsweredAt, AnsweredAt: r.AnsweredAt, RatedAt: r.RatedAt, Rating: r.Rating,
		ClosedAt: r.ClosedAt, WithdrawnAt: r.WithdrawnAt, Seq: r.Seq}
}
