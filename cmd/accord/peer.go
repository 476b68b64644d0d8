package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/accord-cyber/accord/federation"
)

func (m *Main) cardCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "card [--json]",
		Short: "Print this node's party card, to give to a peer out of band (like an SSH host key)",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				self, err := e.svc.Self(ctx, operator())
				if err != nil {
					return err
				}
				card := federation.NewCard(*self)
				if m.jsonOut {
					return m.printJSON(card)
				}
				m.fields("Party", card.PartyID, "Name", card.Name, "Country", card.Country, "Federation URL", card.FederationURL,
					"Signing key", card.SigningKey, "TLS pin (SHA-256 of SPKI)", federation.Pin(self.TLSCert))
				fmt.Fprintf(m.Stdout, "\nSave the card for a peer with: accord card --json > %s.card.json\n", card.PartyID)
				return nil
			})
		},
	}
}

func (m *Main) peerCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "peer", Short: "Trust the nodes of other parties"}
	add := &cobra.Command{
		Use:   "add CARD.json",
		Short: "Trust a peer from its party card (replaces a locally registered party of the same id)",
		Args:  exactArgs(1, "one argument, the card file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("read card: %w", err)
			}
			card, err := federation.ParseCard(data)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				p, err := e.svc.AddPeer(ctx, operator(), card.Party())
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(p)
				}
				fmt.Fprintf(m.Stdout, "Peer %s (%s, %s) trusted at %s, TLS pin %s.\n", p.ID, p.Name, p.Country, p.FederationURL, federation.Pin(p.TLSCert))
				return nil
			})
		},
	}
	cmd.AddCommand(add)
	return cmd
}
