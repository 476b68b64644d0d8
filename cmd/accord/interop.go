package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
)

func formatNames(formats []string) string { return strings.Join(formats, "|") }

func (m *Main) importCommand() *cobra.Command {
	var caseID, title, category, tlp string
	cmd := &cobra.Command{
		Use:   "import " + formatNames(node.ImportFormats) + " FILE...",
		Short: "Import threat intelligence files into cases, each file all or nothing",
		Long: `Import threat intelligence files. Each file is imported all or nothing:
an invalid file is refused with a message naming the object and the field,
and nothing of it is stored. Without --case, each file opens a new case.
Objects held already in the same version are linked to the case and counted
unchanged; what is not taken is listed with the reason.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usageError{fmt.Errorf("want the format (%s) and at least one file", formatNames(node.ImportFormats))}
			}
			if !slices.Contains(node.ImportFormats, args[0]) {
				return usageError{fmt.Errorf("unknown format %q: want %s", args[0], formatNames(node.ImportFormats))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				var reports []*node.ImportReport
				failed := 0
				for _, file := range args[1:] {
					rep, err := m.importFile(ctx, e, args[0], file, caseID, title, category, tlp)
					if err != nil {
						failed++
						fmt.Fprintf(m.Stderr, "%s: refused, nothing imported: %s\n", file, accord.ErrorMessage(err))
						continue
					}
					reports = append(reports, rep)
					if !m.jsonOut {
						fmt.Fprintf(m.Stdout, "%s: case %s: %d objects, %d added, %d unchanged, %d skipped; %d observables\n",
							file, rep.CaseID, rep.Objects, rep.Added, rep.Unchanged, len(rep.Skipped), rep.Observables)
						for _, s := range rep.Skipped {
							fmt.Fprintf(m.Stdout, "  skipped %s: %s\n", s.Item, s.Reason)
						}
					}
				}
				if m.jsonOut {
					if err := m.printJSON(map[string]any{"imports": reports, "refused": failed}); err != nil {
						return err
					}
				}
				if failed > 0 {
					return fmt.Errorf("%d of %d files refused", failed, len(args)-1)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&caseID, "case", "", "add to this case instead of opening one per file")
	f.StringVar(&title, "title", "", "title of the case each file opens (default: the file's own title, else its name)")
	f.StringVar(&category, "category", "other", "category of the case each file opens: "+joinList(accord.Categories))
	f.StringVar(&tlp, "tlp", "", "TLP of the case each file opens: "+joinList(accord.TLPs)+" (default: the file's own marking, else amber)")
	return cmd
}

// importFile imports one file, with a progress bar on a terminal.
func (m *Main) importFile(ctx context.Context, e *env, format, file, caseID, title, category, tlp string) (*node.ImportReport, error) {
	fh, err := os.Open(file)
	if err != nil {
		return nil, accord.Errorf(accord.EINVALID, "%v", err)
	}
	defer fh.Close()
	opts := node.ImportOptions{CaseID: caseID, Source: format + ":" + filepath.Base(file),
		NewCase: node.NewCase{Title: title, Category: accord.Category(category), TLP: accord.TLP(tlp)}}
	if title == "" {
		opts.NewCase.Title, opts.SourceTitle = filepath.Base(file), true
	}
	var r io.Reader = fh
	if bar := m.progress(fh, "importing "+filepath.Base(file)); bar != nil {
		pr := progressbar.NewReader(fh, bar)
		r = &pr
		defer bar.Exit()
	}
	return e.svc.Import(ctx, operator(), format, r, opts)
}

// progress returns a progress bar over a file's bytes on stderr when
// stderr is a terminal, else nil.
func (m *Main) progress(fh *os.File, what string) *progressbar.ProgressBar {
	tty, ok := m.Stderr.(*os.File)
	if !ok || !term.IsTerminal(int(tty.Fd())) {
		return nil
	}
	st, err := fh.Stat()
	if err != nil {
		return nil
	}
	return progressbar.NewOptions64(st.Size(), progressbar.OptionSetWriter(tty), progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(true), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100_000_000))
}

func (m *Main) exportCommand() *cobra.Command {
	var caseID, out, audience string
	cmd := &cobra.Command{
		Use:   "export " + formatNames(node.ExportFormats) + " --case ID [--for community|PEER] [-o FILE]",
		Short: "Export a case's threat intelligence (to stdout by default)",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("want the format: %s", formatNames(node.ExportFormats))}
			}
			if !slices.Contains(node.ExportFormats, args[0]) {
				return usageError{fmt.Errorf("unknown format %q: want %s", args[0], formatNames(node.ExportFormats))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				report := func(skipped []node.SkippedItem) {
					for _, s := range skipped {
						fmt.Fprintf(m.Stderr, "left out: %s: %s\n", s.Item, s.Reason)
					}
				}
				if out == "" || out == "-" {
					skipped, err := e.svc.Export(ctx, operator(), args[0], caseID, audience, m.Stdout)
					report(skipped)
					return err
				}
				// Written beside the target and renamed: a failed export
				// leaves no partial file.
				tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
				if err != nil {
					return err
				}
				defer os.Remove(tmp.Name())
				skipped, err := e.svc.Export(ctx, operator(), args[0], caseID, audience, tmp)
				if err != nil {
					tmp.Close()
					return err
				}
				report(skipped)
				if err := errors.Join(tmp.Sync(), tmp.Close()); err != nil {
					return err
				}
				return os.Rename(tmp.Name(), out)
			})
		},
	}
	cmd.Flags().StringVar(&caseID, "case", "", "the case to export (required)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to FILE instead of stdout")
	cmd.Flags().StringVar(&audience, "for", "", `who the file is for, under TLP 2.0: "community" or a peer's party id (default: this organisation); what they may not receive is left out and listed`)
	cmd.MarkFlagRequired("case")
	return cmd
}

// holder names where a correlation hit is held: a case of this node, or a
// peer's share about a request.
func holder(h accord.ObservableHit) string {
	if h.CaseID != "" {
		return "case " + h.CaseID
	}
	return fmt.Sprintf("shared by %s (request %s)", h.Peer, h.RequestID)
}

func (m *Main) correlateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "correlate CASE",
		Short: "Show the observables of a case that other cases hold too, or a peer shared (equal values, addresses in networks)",
		Args:  exactArgs(1, "one argument, the case id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				cs, err := e.svc.Correlations(ctx, operator(), args[0])
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(map[string]any{"correlations": cs})
				}
				rows := [][]string{{"KIND", "VALUE", "HELD IN", "MATCHING VALUE"}}
				for _, c := range cs {
					for _, h := range c.Matches {
						rows = append(rows, []string{string(c.Kind), c.Value, holder(h), h.Value})
					}
				}
				if len(rows) == 1 {
					fmt.Fprintf(m.Stdout, "No observable of %s is held in another case or was shared by a peer.\n", args[0])
					return nil
				}
				m.table(rows)
				return nil
			})
		},
	}
}
