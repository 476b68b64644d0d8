package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

func (m *Main) verifyCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "verify [--json]",
		Short: "Check that this node's record was not rewritten: ledger tree, envelopes, receipts, signatures",
		Long: `verify recomputes the ledger's Merkle tree (RFC 6962) from the stored
entries and compares every stored hash, then checks every stored message and
receipt: its bytes against its digest, its signature against its signer's
key, and its entry in the ledger. It exits 0 only if everything holds;
otherwise it names the first bad entry and what is wrong with it.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				rep, err := e.svc.Verify(ctx, operator())
				if err != nil {
					return err
				}
				if m.jsonOut {
					if err := m.printJSON(rep); err != nil {
						return err
					}
				} else if rep.OK {
					fmt.Fprintf(m.Stdout, "ok: %d ledger entries (root %s), %d messages, %d receipts verified\n", rep.Entries, rep.Root, rep.Messages, rep.Receipts)
				} else {
					fmt.Fprintf(m.Stdout, "FAILED: %s\n", rep.Problem)
				}
				if !rep.OK {
					m.exitCode = 1
				}
				return nil
			})
		},
	}
}
