package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/federation"
	"github.com/accord-cyber/accord/node"
	"github.com/accord-cyber/accord/sqlite"
)

func (m *Main) initCommand() *cobra.Command {
	var p accord.Party
	var apiAddr, peerAddr, peerURL string
	cmd := &cobra.Command{
		Use:   "init --party ID --name NAME --country CC",
		Short: "Create a node home: config, agreement, keys, TLS certificate, database and the node's own party",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.runInit(cmd.Context(), p, apiAddr, peerAddr, peerURL)
		},
	}
	cmd.Flags().StringVar(&p.ID, "party", "", "id of the party that owns this node, e.g. us-cert (required)")
	cmd.Flags().StringVar(&p.Name, "name", "", "display name of the party (required)")
	cmd.Flags().StringVar(&p.Country, "country", "", "ISO 3166-1 alpha-2 country code, e.g. US (required)")
	cmd.Flags().StringVar(&apiAddr, "api-addr", "", "host:port of the HTTP API (default 127.0.0.1:8480)")
	cmd.Flags().StringVar(&peerAddr, "peer-addr", "", "host:port of the federation listener peers deliver to (default 127.0.0.1:8481)")
	cmd.Flags().StringVar(&peerURL, "peer-url", "", "the federation URL printed on the party card (default https://PEER-ADDR/federation/v1/)")
	for _, f := range []string{"party", "name", "country"} {
		cmd.MarkFlagRequired(f)
	}
	return cmd
}

func (m *Main) runInit(ctx context.Context, p accord.Party, apiAddr, peerAddr, peerURL string) error {
	p.Kind = accord.PartySelf
	if err := p.Validate(); err != nil {
		return err
	}
	cfg := defaultConfig(p.ID)
	if apiAddr != "" {
		cfg.API.Addr = apiAddr
	}
	if peerAddr != "" {
		cfg.Federation.Addr = peerAddr
		cfg.Federation.URL = "https://" + peerAddr + "/federation/v1/"
	}
	if peerURL != "" {
		cfg.Federation.URL = peerURL
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(m.home, configFile)); err == nil {
		return accord.Errorf(accord.ECONFLICT, "%s is already an accord home; choose another --home", m.home)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("check home: %w", err)
	}
	if err := os.MkdirAll(m.home, 0o700); err != nil {
		return fmt.Errorf("create home: %w", err)
	}
	// The agreement first, then the keys, the database, and the config last:
	// a home without config.toml is not a home, so an init that fails half
	// way can simply be run again (it keeps keys made by the first attempt).
	if err := os.WriteFile(homePath(m.home, cfg.Agreement), accord.DefaultAgreementTOML, 0o644); err != nil {
		return fmt.Errorf("write agreement: %w", err)
	}
	keys := filepath.Join(m.home, keysDir)
	var id *federation.Identity
	var err error
	if _, serr := os.Stat(filepath.Join(keys, federation.SigningKeyFile)); serr == nil {
		if id, err = federation.LoadIdentity(keys, p.ID); err != nil {
			return fmt.Errorf("keys left by an earlier init: %w", err)
		}
	} else {
		host, _, _ := net.SplitHostPort(cfg.Federation.Addr)
		if id, err = federation.CreateIdentity(keys, p.ID, []string{host}); err != nil {
			return fmt.Errorf("create keys: %w", err)
		}
	}
	p.FederationURL, p.SigningKey, p.TLSCert = cfg.Federation.URL, id.PublicKey(), id.CertDER()
	store, err := sqlite.Open(ctx, homePath(m.home, cfg.Database))
	if err != nil {
		return fmt.Errorf("create store: %w", err)
	}
	defer store.Close()
	svc := node.New(node.Config{Store: store, Agreement: accord.DefaultAgreement(), Clock: m.Clock, Self: p.ID, Logger: m.logger(LogConfig{Level: "warn"})})
	self, err := svc.InitSelf(ctx, p)
	if err != nil {
		return err
	}
	if err := cfg.write(m.home); err != nil {
		return err
	}
	if m.jsonOut {
		return m.printJSON(map[string]any{"home": m.home, "party": self})
	}
	fmt.Fprintf(m.Stdout, "Initialised accord node %s (%s, %s) in %s\n\n", self.ID, self.Name, self.Country, m.home)
	fmt.Fprintf(m.Stdout, "Next:\n  accord user add NAME --role admin --home %s   # an API token\n  accord serve --home %s\n", m.home, m.home)
	return nil
}
