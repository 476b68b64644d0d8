package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
)

func (m *Main) requestCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "request", Short: "Send, record and act on requests between parties"}
	cmd.AddCommand(m.requestNewCommand(), m.requestListCommand(), m.requestShowCommand(), m.requestShareCommand(), m.requestObjectsCommand())
	for _, a := range []struct {
		use, short string
		action     accord.Action
	}{
		{"deliver", "Record that the requested party received an outgoing request (--at when)", accord.ActionDeliver},
		{"ack", "Acknowledge a request", accord.ActionAcknowledge},
		{"accept", "Accept a request", accord.ActionAccept},
		{"decline", "Decline a request on one of the agreement's grounds", accord.ActionDecline},
		{"answer", "Answer a request, in part or (--final) in full", accord.ActionAnswerPartial},
		{"rate", "Rate the quality of the answer to one of our requests (1–5)", accord.ActionRate},
		{"withdraw", "Withdraw one of our requests", accord.ActionWithdraw},
		{"close", "Close a request that was answered or declined", accord.ActionClose},
	} {
		cmd.AddCommand(m.requestActionCommand(a.use, a.short, a.action))
	}
	return cmd
}

func (m *Main) requestNewCommand() *cobra.Command {
	var in node.NewRequest
	var typ, prio, bodyFile, sentAt, receivedAt string
	c := &cobra.Command{
		Use:   "new --case ID --to PARTY --type TYPE --priority PRIORITY --subject TEXT [flags]",
		Short: "Send a request to another party, or record one received from it by other means (--from)",
		Long: `Without --from, records an outgoing request from this node's party to --to.

With --from PARTY and --received-at TIME, records a request that PARTY sent by
other means (mail, phone); its deadlines run from the time it was received,
and the lifecycle commands then apply to it here.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.Type, in.Priority = accord.RequestType(typ), accord.Priority(prio)
			var err error
			if in.Body, err = m.readBody(in.Body, bodyFile); err != nil {
				return err
			}
			if in.SentAt, err = parseTime("sent-at", sentAt); err != nil {
				return err
			}
			if in.ReceivedAt, err = parseTime("received-at", receivedAt); err != nil {
				return err
			}
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				d, err := e.svc.CreateRequest(ctx, operator(), in)
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(d)
				}
				fmt.Fprintf(m.Stdout, "Request %s recorded (%s, %s → %s). Acknowledge by %s", d.ID, d.Status, d.From, d.To, fmtTime(d.AcknowledgeBy))
				if !d.AnswerBy.IsZero() {
					fmt.Fprintf(m.Stdout, ", answer by %s", fmtTime(d.AnswerBy))
				}
				fmt.Fprintln(m.Stdout, ".")
				return nil
			})
		},
	}
	f := c.Flags()
	f.StringVar(&in.CaseID, "case", "", "the case the request concerns (required for outgoing requests)")
	f.StringVar(&in.To, "to", "", "the party asked (outgoing)")
	f.StringVar(&in.From, "from", "", "the party that asked, for a request received by other means")
	f.StringVar(&typ, "type", "", "request type: "+joinList(accord.RequestTypes)+" (required)")
	f.StringVar(&prio, "priority", "normal", "priority: "+joinList(accord.Priorities))
	f.StringVar(&in.Subject, "subject", "", "one-line subject (required)")
	f.StringVar(&in.Body, "body", "", "the request's text")
	f.StringVar(&bodyFile, "body-file", "", "read the request's text from this file (- for stdin)")
	f.StringVar(&in.LegalBasis, "legal-basis", "", "legal basis, e.g. Budapest Convention art. 29")
	f.StringVar(&in.ExternalRef, "ref", "", "the sender's own reference for an incoming request")
	f.StringVar(&sentAt, "sent-at", "", "when the sender sent it (incoming; default the time received)")
	f.StringVar(&receivedAt, "received-at", "", "when it was received (required with --from)")
	c.MarkFlagRequired("type")
	c.MarkFlagRequired("subject")
	return c
}

func (m *Main) requestListCommand() *cobra.Command {
	var q node.RequestQuery
	var dir, typ, status string
	c := &cobra.Command{
		Use:   "list [flags]",
		Short: "List requests, most recently sent first",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			q.Direction, q.Type = accord.Direction(dir), accord.RequestType(typ)
			for _, s := range splitList(status) {
				q.Status = append(q.Status, accord.Status(s))
			}
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				rs, total, err := e.svc.Requests(ctx, operator(), q)
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(map[string]any{"requests": rs, "total": total})
				}
				m.requestTable(rs)
				if total > len(rs) {
					fmt.Fprintf(m.Stdout, "(%d of %d shown; use --limit and --offset)\n", len(rs), total)
				}
				return nil
			})
		},
	}
	f := c.Flags()
	f.StringVar(&q.CaseID, "case", "", "only requests about this case")
	f.StringVar(&q.Party, "party", "", "only requests sent by or to this party")
	f.StringVar(&dir, "direction", "", "incoming or outgoing")
	f.StringVar(&typ, "type", "", "only this request type")
	f.StringVar(&status, "status", "", "only these statuses (comma-separated)")
	f.BoolVar(&q.Overdue, "overdue", false, "only requests overdue now")
	f.IntVar(&q.Limit, "limit", 100, "at most this many (0: all)")
	f.IntVar(&q.Offset, "offset", 0, "skip this many")
	return c
}

func (m *Main) requestTable(rs []node.RequestView) {
	rows := [][]string{{"ID", "DIR", "FROM", "TO", "TYPE", "PRIORITY", "STATUS", "DUE", "OVERDUE", "SUBJECT"}}
	for _, r := range rs {
		var due time.Time // the next deadline still to meet
		switch r.Status {
		case accord.StatusSent, accord.StatusDelivered:
			due = r.AcknowledgeBy
		case accord.StatusAcknowledged, accord.StatusAccepted, accord.StatusAnsweredPartial:
			due = r.AnswerBy
		}
		over := ""
		if r.Overdue != "" {
			over = "to " + string(r.Overdue)
		}
		rows = append(rows, []string{r.ID, dirShort(r.Direction), r.From, r.To, string(r.Type), string(r.Priority), string(r.Status), fmtTime(due), over, truncate(r.Subject, 60)})
	}
	m.table(rows)
}

func (m *Main) requestShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show a request with its deadlines, history and answers",
		Args:  exactArgs(1, "one argument, the request id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				d, err := e.svc.Request(ctx, operator(), args[0])
				if err != nil {
					return err
				}
				msgs, err := e.svc.Messages(ctx, operator(), d.ID)
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(struct {
						*node.RequestDetail
						Messages []node.MessageView `json:"messages"`
					}{d, msgs})
				}
				m.printRequest(d)
				if len(msgs) > 0 {
					fmt.Fprintln(m.Stdout, "\nSigned messages:")
					rows := [][]string{{"  SEQ", "KIND", "FROM", "SENT", "RECEIPT", "DIGEST"}}
					for _, msg := range msgs {
						receipt := "pending"
						if msg.Receipt != nil {
							receipt = fmtTime(msg.Receipt.ReceivedAt) + " by " + msg.Receipt.Receiver
						}
						rows = append(rows, []string{fmt.Sprintf("  %d", msg.Seq), string(msg.Kind), msg.Sender, fmtTime(msg.CreatedAt), receipt, msg.Digest[:16]})
					}
					m.table(rows)
				}
				return nil
			})
		},
	}
}

func (m *Main) printRequest(d *node.RequestDetail) {
	over := ""
	if d.Overdue != "" {
		over = "yes: not " + map[accord.Overdue]string{accord.OverdueAcknowledge: "acknowledged", accord.OverdueAnswer: "answered"}[d.Overdue] + " in time"
	}
	rating := ""
	if d.Rating > 0 {
		rating = fmt.Sprintf("%d/5 (%s) %s", d.Rating, accord.Ratings[d.Rating], d.RatingComment)
	}
	decline := ""
	if d.DeclineGround != "" {
		decline = d.DeclineGround + ": " + d.DeclineText
	}
	m.fields("Request", d.ID, "Direction", string(d.Direction), "From", d.From, "To", d.To, "Case", d.CaseID,
		"Type", string(d.Type), "Priority", string(d.Priority), "Status", string(d.Status), "Subject", d.Subject,
		"Legal basis", d.LegalBasis, "Their reference", d.ExternalRef,
		"Sent", fmtTime(d.SentAt), "Received", fmtTime(d.ReceivedAt),
		"Acknowledge by", fmtTime(d.AcknowledgeBy), "Answer by", fmtTime(d.AnswerBy), "Overdue", over,
		"Preserve until", fmtTime(d.PreserveUntil), "Declined", decline, "Rating", rating,
		"Next", joinList(d.Allowed))
	if d.Body != "" {
		fmt.Fprintf(m.Stdout, "\n%s\n", d.Body)
	}
	fmt.Fprintln(m.Stdout, "\nHistory:")
	rows := [][]string{{"  #", "AT", "STEP", "BY", "STATUS", "NOTE"}}
	for _, e := range d.Events {
		at := fmtTime(e.At)
		if !e.RecordedAt.Equal(e.At) && e.RecordedAt.Sub(e.At) > 60e9 {
			at += " (recorded " + fmtTime(e.RecordedAt) + ")"
		}
		rows = append(rows, []string{fmt.Sprintf("  %d", e.Seq), at, e.Action.Verb(), e.Party + " / " + e.Actor, string(e.To), e.Note})
	}
	m.table(rows)
	for _, a := range d.Answers {
		kind := "Partial answer"
		if a.Final {
			kind = "Final answer"
		}
		fmt.Fprintf(m.Stdout, "\n%s (%s, %s):\n%s\n", kind, fmtTime(a.At), a.Author, a.Body)
	}
}

func (m *Main) requestActionCommand(use, short string, action accord.Action) *cobra.Command {
	var st node.Step
	var at, bodyFile string
	var final bool
	c := &cobra.Command{
		Use:   use + " ID",
		Short: short,
		Args:  exactArgs(1, "one argument, the request id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st.Action = action
			if action == accord.ActionAnswerPartial && final {
				st.Action = accord.ActionAnswerFinal
			}
			var err error
			if st.At, err = parseTime("at", at); err != nil {
				return err
			}
			if action == accord.ActionAnswerPartial {
				if st.Body, err = m.readBody(st.Body, bodyFile); err != nil {
					return err
				}
			}
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				d, err := e.svc.Act(ctx, operator(), args[0], st)
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(d)
				}
				fmt.Fprintf(m.Stdout, "Request %s %s; status %s.\n", d.ID, st.Action.Verb(), d.Status)
				return nil
			})
		},
	}
	f := c.Flags()
	f.StringVar(&st.Note, "note", "", "a note kept in the request's history")
	f.StringVar(&at, "at", "", "when the step happened, for a step of a party not on accord recorded afterwards")
	switch action {
	case accord.ActionDecline:
		f.StringVar(&st.Ground, "ground", "", "decline ground from the agreement (see `accord agreement show`) (required)")
		f.StringVar(&st.Text, "text", "", "why, in a few words (required)")
		c.MarkFlagRequired("ground")
		c.MarkFlagRequired("text")
	case accord.ActionAnswerPartial:
		f.StringVar(&st.Body, "body", "", "the answer's text")
		f.StringVar(&bodyFile, "body-file", "", "read the answer's text from this file (- for stdin)")
		f.BoolVar(&final, "final", false, "this is the final, complete answer")
		f.StringSliceVar(&st.Evidence, "evidence", nil, "attach an item of evidence (its id; repeat or comma-separate): the peer fetches the file and checks its SHA-256")
	case accord.ActionRate:
		f.IntVar(&st.Score, "score", 0, "1 unusable, 2 poor, 3 adequate, 4 good, 5 excellent (required)")
		f.StringVar(&st.Comment, "comment", "", "what made the answer good or poor")
		c.MarkFlagRequired("score")
	}
	return c
}

// readBody returns inline text, or the content of file (- for stdin).
func (m *Main) readBody(inline, file string) (string, error) {
	if file == "" {
		return inline, nil
	}
	if inline != "" {
		return "", accord.FieldError("--body-file", "give the text inline or in a file, not both")
	}
	var r io.Reader = m.Stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return "", accord.FieldError("--body-file", "%v", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, accord.MaxBodyLen+1))
	if err != nil {
		return "", accord.FieldError("--body-file", "%v", err)
	}
	return string(b), nil
}

func dirShort(d accord.Direction) string {
	if d == accord.Outgoing {
		return "out"
	}
	return "in"
}

func truncate(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func (m *Main) requestShareCommand() *cobra.Command {
	var spec node.ShareSpec
	c := &cobra.Command{
		Use:   "share REQUEST [--case ID] [--object STIX-ID]... [--note TEXT]",
		Short: "Send threat intelligence of a case to the peer of a request, in signed notifications",
		Long: `Sends objects of a case (by default the request's own) to the request's other
party, which must run accord. Without --object, every object of the case the
peer may receive under TLP 2.0 goes, in its latest version, and the others are
listed as withheld; a named object the peer may not receive refuses the share.
The peer stores the objects, and its correlation shows them as this party's,
about this request.`,
		Args: exactArgs(1, "one argument, the request id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				rep, err := e.svc.Share(ctx, operator(), args[0], spec)
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(rep)
				}
				fmt.Fprintf(m.Stdout, "%d objects of %s queued for %s in %d signed notifications about %s.\n", rep.Shared, rep.CaseID, rep.Peer, len(rep.Messages), rep.RequestID)
				for _, w := range rep.Withheld {
					fmt.Fprintf(m.Stdout, "  withheld %s: %s\n", w.Item, w.Reason)
				}
				return nil
			})
		},
	}
	f := c.Flags()
	f.StringVar(&spec.CaseID, "case", "", "the case the objects are taken from (default: the request's case)")
	f.StringArrayVar(&spec.Objects, "object", nil, "a STIX id of an object of the case to send (repeat; default: all the peer may receive)")
	f.StringVar(&spec.Note, "note", "", "a note sent with the objects")
	return c
}

func (m *Main) requestObjectsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "objects REQUEST",
		Short: "List the threat intelligence objects the messages about a request carried, both ways",
		Args:  exactArgs(1, "one argument, the request id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				objs, err := e.svc.SharedObjects(ctx, operator(), args[0])
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(map[string]any{"objects": objs})
				}
				if len(objs) == 0 {
					fmt.Fprintf(m.Stdout, "No objects were shared about %s.\n", args[0])
					return nil
				}
				rows := [][]string{{"WHEN", "WAY", "PEER", "OBJECT", "VERSION", "MESSAGE"}}
				for _, o := range objs {
					way := "sent"
					if o.Direction == accord.SharedIn {
						way = "received"
					}
					rows = append(rows, []string{fmtTime(o.At), way, o.Peer, o.ObjectID, o.Version, o.MessageID})
				}
				m.table(rows)
				return nil
			})
		},
	}
}
