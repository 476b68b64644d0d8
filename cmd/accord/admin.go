package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/accord-cyber/accord"
)

func (m *Main) userCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage the people who use this node's API"}
	var role string
	add := &cobra.Command{
		Use:   "add NAME --role analyst|liaison|reviewer|admin",
		Short: "Add a user and print their API token (shown once)",
		Args:  exactArgs(1, "one argument, the user's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := accord.ParseRole("--role", role)
			if err != nil {
				return err
			}
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				u, token, err := e.svc.AddUser(ctx, operator(), args[0], r)
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(map[string]any{"token": token, "user": u})
				}
				fmt.Fprintf(m.Stdout, "User %s (%s) added. API token, shown once:\n\n  %s\n\nUse it as: Authorization: Bearer %s\n", u.Name, u.Role, token, token)
				return nil
			})
		},
	}
	add.Flags().StringVar(&role, "role", "", "analyst, liaison, reviewer or admin (required)")
	add.MarkFlagRequired("role")
	list := &cobra.Command{
		Use:   "list",
		Short: "List users",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				us, err := e.svc.Users(ctx, operator())
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(map[string]any{"users": us})
				}
				rows := [][]string{{"ID", "NAME", "ROLE", "CREATED"}}
				for _, u := range us {
					rows = append(rows, []string{fmt.Sprint(u.ID), u.Name, string(u.Role), fmtTime(u.CreatedAt)})
				}
				m.table(rows)
				return nil
			})
		},
	}
	cmd.AddCommand(add, list)
	return cmd
}

func (m *Main) partyCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "party", Short: "Manage the parties this node exchanges requests with"}
	var p accord.Party
	add := &cobra.Command{
		Use:   "add --id ID --name NAME --country CC",
		Short: "Register a party that does not run accord yet (its steps are recorded here by hand)",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				got, _, err := e.svc.AddParty(ctx, operator(), p)
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(got)
				}
				fmt.Fprintf(m.Stdout, "Party %s (%s, %s) registered.\n", got.ID, got.Name, got.Country)
				return nil
			})
		},
	}
	add.Flags().StringVar(&p.ID, "id", "", "party id, e.g. cncert (required)")
	add.Flags().StringVar(&p.Name, "name", "", "display name (required)")
	add.Flags().StringVar(&p.Country, "country", "", "ISO 3166-1 alpha-2 country code (required)")
	add.Flags().StringVar(&p.Endpoint, "endpoint", "", "how to reach the party (URL, mail address)")
	for _, f := range []string{"id", "name", "country"} {
		add.MarkFlagRequired(f)
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List parties",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				ps, err := e.svc.Parties(ctx, operator())
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(map[string]any{"parties": ps})
				}
				rows := [][]string{{"ID", "NAME", "COUNTRY", "KIND", "ENDPOINT"}}
				for _, p := range ps {
					rows = append(rows, []string{p.ID, p.Name, p.Country, string(p.Kind), p.Endpoint})
				}
				m.table(rows)
				return nil
			})
		},
	}
	cmd.AddCommand(add, list)
	return cmd
}

func (m *Main) agreementCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "agreement", Short: "Show the agreement this node applies"}
	show := &cobra.Command{
		Use:   "show",
		Short: "Print the request types, deadlines and decline grounds in force",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				a := e.svc.Agreement()
				if m.jsonOut {
					return m.printJSON(a)
				}
				fmt.Fprintf(m.Stdout, "%s (%s), review every %d months, digest %s\n\n", a.Name, a.Version, a.ReviewPeriodMonths, a.Digest[:16])
				rows := [][]string{{"TYPE", "PRIORITY", "ACKNOWLEDGE", "ANSWER", "KEEP"}}
				for _, t := range a.Types {
					for _, p := range accord.Priorities {
						d := t.Deadlines[p]
						ans, keep := "-", ""
						if d.Answer > 0 {
							ans = d.Answer.String()
						}
						if t.Keep > 0 {
							keep = t.Keep.String()
						}
						rows = append(rows, []string{string(t.Type), string(p), d.Acknowledge.String(), ans, keep})
					}
				}
				m.table(rows)
				fmt.Fprintln(m.Stdout, "\nDecline grounds:")
				var g [][]string
				for _, d := range a.DeclineGrounds {
					g = append(g, []string{"  " + d.ID, d.Text})
				}
				m.table(g)
				return nil
			})
		},
	}
	cmd.AddCommand(show)
	return cmd
}
