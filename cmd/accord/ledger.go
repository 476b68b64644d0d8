package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func (m *Main) ledgerCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "ledger", Short: "The node's tamper-evident ledger: head and proofs another party can check"}
	head := &cobra.Command{
		Use:   "head",
		Short: "Print the ledger's size and RFC 6962 root hash",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				h, err := e.svc.Head(ctx, operator())
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(h)
				}
				m.fields("Size", fmt.Sprint(h.Size), "Root", h.Root)
				return nil
			})
		},
	}
	var receipt bool
	prove := &cobra.Command{
		Use:   "prove MESSAGE-ID [--receipt]",
		Short: "Prove that a message (or its receipt) is in the ledger",
		Args:  exactArgs(1, "one argument, the message id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				p, err := e.svc.ProveInclusion(ctx, operator(), args[0], receipt)
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(p)
				}
				m.fields("Entry", fmt.Sprintf("%d of %d (%s of message %s)", p.Index, p.Size, p.Kind, p.Ref), "Root", p.Root,
					"Record", strings.ReplaceAll(strings.TrimSpace(p.Record), "\n", " | "), "Proof", strings.Join(p.Proof, " "))
				return nil
			})
		},
	}
	prove.Flags().BoolVar(&receipt, "receipt", false, "prove the message's receipt instead of the message")
	var old, new int64
	consistency := &cobra.Command{
		Use:   "consistency --old N --new M",
		Short: "Prove that the ledger at size N is a prefix of the ledger at size M",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				p, err := e.svc.ProveConsistency(ctx, operator(), old, new)
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(p)
				}
				m.fields("Old", fmt.Sprintf("%d %s", p.Old, p.OldRoot), "New", fmt.Sprintf("%d %s", p.New, p.NewRoot), "Proof", strings.Join(p.Proof, " "))
				return nil
			})
		},
	}
	consistency.Flags().Int64Var(&old, "old", 0, "the earlier size (required)")
	consistency.Flags().Int64Var(&new, "new", 0, "the later size (required)")
	consistency.MarkFlagRequired("old")
	consistency.MarkFlagRequired("new")
	cmd.AddCommand(head, prove, consistency)
	return cmd
}
