package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
	"github.com/accord-cyber/accord/sqlite"
)

func (m *Main) initCommand() *cobra.Command {
	var p accord.Party
	var apiAddr string
	cmd := &cobra.Command{
		Use:   "init --party ID --name NAME --country CC",
		Short: "Create a node home: config, agreement, database and the node's own party",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.runInit(cmd.Context(), p, apiAddr)
		},
	}
	cmd.Flags().StringVar(&p.ID, "party", "", "id of the party that owns this node, e.g. us-cert (required)")
	cmd.Flags().StringVar(&p.Name, "name", "", "display name of the party (required)")
	cmd.Flags().StringVar(&p.Country, "country", "", "ISO 3166-1 alpha-2 country code, e.g. US (required)")
	cmd.Flags().StringVar(&apiAddr, "api-addr", "", "host:port of the HTTP API (default 127.0.0.1:8480)")
	for _, f := range []string{"party", "name", "country"} {
		cmd.MarkFlagRequired(f)
	}
	return cmd
}

func (m *Main) runInit(ctx context.Context, p accord.Party, apiAddr string) error {
	p.Kind = accord.PartySelf
	if err := p.Validate(); err != nil {
		return err
	}
	cfg := defaultConfig(p.ID)
	if apiAddr != "" {
		cfg.API.Addr = apiAddr
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
	// The agreement first, then the database, then the config last: a home
	// without config.toml is not a home, so an init that fails half way can
	// simply be run again.
	if err := os.WriteFile(homePath(m.home, cfg.Agreement), accord.DefaultAgreementTOML, 0o644); err != nil {
		return fmt.Errorf("write agreement: %w", err)
	}
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
