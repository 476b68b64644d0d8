package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
)

func (m *Main) caseCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "case", Short: "Open, list and show cases"}
	var in node.NewCase
	var category, tlp, sectors string
	newCmd := &cobra.Command{
		Use:   "new --title TITLE --category CATEGORY [flags]",
		Short: "Open a case",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.Category, in.TLP = accord.Category(category), accord.TLP(tlp)
			in.Sectors = splitList(sectors)
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				c, err := e.svc.CreateCase(ctx, operator(), in)
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(c)
				}
				fmt.Fprintf(m.Stdout, "Case %s opened.\n", c.ID)
				return nil
			})
		},
	}
	f := newCmd.Flags()
	f.StringVar(&in.Title, "title", "", "short title (required)")
	f.StringVar(&in.Summary, "summary", "", "what happened")
	f.StringVar(&category, "category", "", "reference incident taxonomy class: "+joinList(accord.Categories)+" (required)")
	f.StringVar(&sectors, "sectors", "", "comma-separated sectors affected: "+strings.Join(accord.Sectors, ", "))
	f.StringVar(&in.AffectedCountry, "affected-country", "", "ISO 3166-1 alpha-2 code of the country affected")
	f.StringVar(&in.OriginCountry, "origin-country", "", "ISO 3166-1 alpha-2 code of where the activity came from (not an attribution)")
	f.StringVar(&tlp, "tlp", "amber", "TLP 2.0 label: "+joinList(accord.TLPs))
	newCmd.MarkFlagRequired("title")
	newCmd.MarkFlagRequired("category")

	var status string
	var limit int
	list := &cobra.Command{
		Use:   "list [--status open|closed]",
		Short: "List cases, newest first",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				cs, err := e.svc.Cases(ctx, operator(), accord.CaseFilter{Status: accord.CaseStatus(status), Limit: limit})
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(map[string]any{"cases": cs})
				}
				rows := [][]string{{"ID", "STATUS", "TLP", "CATEGORY", "OPENED", "TITLE"}}
				for _, c := range cs {
					rows = append(rows, []string{c.ID, string(c.Status), "TLP:" + strings.ToUpper(string(c.TLP)), string(c.Category), fmtTime(c.CreatedAt), c.Title})
				}
				m.table(rows)
				return nil
			})
		},
	}
	list.Flags().StringVar(&status, "status", "", "open or closed")
	list.Flags().IntVar(&limit, "limit", 100, "at most this many (0: all)")

	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a case and its requests",
		Args:  exactArgs(1, "one argument, the case id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				c, err := e.svc.Case(ctx, operator(), args[0])
				if err != nil {
					return err
				}
				rs, _, err := e.svc.Requests(ctx, operator(), node.RequestQuery{CaseID: c.ID})
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(map[string]any{"case": c, "requests": rs})
				}
				m.fields("Case", c.ID, "Title", c.Title, "Status", string(c.Status), "TLP", "TLP:"+strings.ToUpper(string(c.TLP)),
					"Category", string(c.Category), "Sectors", strings.Join(c.Sectors, ", "),
					"Affected country", c.AffectedCountry, "Activity from", c.OriginCountry,
					"Opened", fmtTime(c.CreatedAt)+" by "+c.CreatedBy, "Closed", fmtTime(c.ClosedAt))
				if c.Summary != "" {
					fmt.Fprintf(m.Stdout, "\n%s\n", c.Summary)
				}
				if len(rs) > 0 {
					fmt.Fprintln(m.Stdout)
					m.requestTable(rs)
				}
				return nil
			})
		},
	}
	closeCmd := &cobra.Command{
		Use:   "close ID",
		Short: "Close a case",
		Args:  exactArgs(1, "one argument, the case id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				c, err := e.svc.CloseCase(ctx, operator(), args[0])
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(c)
				}
				fmt.Fprintf(m.Stdout, "Case %s closed.\n", c.ID)
				return nil
			})
		},
	}
	cmd.AddCommand(newCmd, list, show, closeCmd)
	return cmd
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func joinList[S ~string](xs []S) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}
