package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
)

func (m *Main) evidenceCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "evidence", Short: "Electronic evidence of a case and its chain of custody"}
	var in node.NewEvidence
	add := &cobra.Command{
		Use:   "add (--case ID | --request ID) FILE",
		Short: "Store a file as evidence of a case or a request (streamed, content-addressed by SHA-256) and open its chain of custody",
		Args:  exactArgs(1, "one argument, the file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return accord.FieldError("FILE", "%v", err)
			}
			defer f.Close()
			if in.Name == "" {
				in.Name = filepath.Base(args[0])
			}
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				d, err := e.svc.AddEvidence(ctx, operator(), in, f)
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(d)
				}
				fmt.Fprintf(m.Stdout, "Evidence %s stored: %s, %d bytes, sha256 %s.\n", d.ID, d.Name, d.Size, d.Digest)
				return nil
			})
		},
	}
	add.Flags().StringVar(&in.CaseID, "case", "", "the case it belongs to")
	add.Flags().StringVar(&in.RequestID, "request", "", "the request it belongs to (e.g. one it will answer)")
	add.Flags().StringVar(&in.Name, "name", "", "the item's name (default the file's name)")
	add.Flags().StringVar(&in.Description, "description", "", "what the file is")
	add.Flags().StringVar(&in.Reason, "reason", "", "why it was collected (opens the chain of custody)")
	add.MarkFlagsOneRequired("case", "request")

	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show an item of evidence and its chain of custody",
		Args:  exactArgs(1, "one argument, the evidence id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				d, err := e.svc.EvidenceItem(ctx, operator(), args[0])
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(d)
				}
				m.printEvidence(d)
				return nil
			})
		},
	}
	var caseID string
	list := &cobra.Command{
		Use:   "list [--case ID]",
		Short: "List evidence",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				items, err := e.svc.EvidenceList(ctx, operator(), caseID)
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(map[string]any{"evidence": items})
				}
				rows := [][]string{{"ID", "CASE", "SIZE", "SHA256", "NAME"}}
				for _, it := range items {
					rows = append(rows, []string{it.ID, it.CaseID, fmt.Sprint(it.Size), it.Digest[:16] + "…", it.Name})
				}
				m.table(rows)
				return nil
			})
		},
	}
	list.Flags().StringVar(&caseID, "case", "", "only this case's evidence")
	var event, reason string
	custody := &cobra.Command{
		Use:   "custody ID --event sealed|accessed|verified --reason TEXT",
		Short: "Record a step in an item's chain of custody (verified re-hashes the file first)",
		Args:  exactArgs(1, "one argument, the evidence id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				d, err := e.svc.RecordCustody(ctx, operator(), args[0], event, reason)
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(d)
				}
				m.printEvidence(d)
				return nil
			})
		},
	}
	custody.Flags().StringVar(&event, "event", "", "sealed, accessed or verified (required)")
	custody.Flags().StringVar(&reason, "reason", "", "why (required)")
	custody.MarkFlagRequired("event")
	custody.MarkFlagRequired("reason")
	cmd.AddCommand(add, show, list, custody)
	return cmd
}

func (m *Main) printEvidence(d *node.EvidenceDetail) {
	m.fields("Evidence", d.ID, "Case", d.CaseID, "Request", d.RequestID, "Name", d.Name, "Description", d.Description,
		"Size", fmt.Sprintf("%d bytes", d.Size), "SHA-256", d.Digest, "Stored", fmtTime(d.CreatedAt)+" by "+d.CreatedBy)
	fmt.Fprintln(m.Stdout, "\nChain of custody:")
	rows := [][]string{{"  #", "AT", "EVENT", "BY", "REASON"}}
	for _, ev := range d.Custody {
		rows = append(rows, []string{fmt.Sprintf("  %d", ev.Seq), fmtTime(ev.At), ev.Event, ev.Party + " / " + ev.Actor, ev.Reason})
	}
	m.table(rows)
}
