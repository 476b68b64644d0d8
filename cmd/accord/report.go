package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-cyber/accord/report"
)

func (m *Main) reportCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "report", Short: "Weekly statistics and the joint-dialogue review, as HTML, PDF, JSON or CSV"}
	cmd.AddCommand(m.reportWeeklyCommand(), m.reportReviewCommand())
	return cmd
}

// reportFlags are the output flags every report command takes.
type reportFlags struct{ format, out string }

func (f *reportFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.format, "format", "html", "html, pdf, json or csv (a ZIP archive of one CSV file per table)")
	cmd.Flags().StringVarP(&f.out, "output", "o", "", "write to FILE instead of stdout")
}

// write writes a report with fn, to stdout or, through a temporary file
// renamed at the end, to f.out: a failed report leaves no partial file.
func (m *Main) writeReport(f reportFlags, fn func(w io.Writer) error) error {
	if f.out == "" || f.out == "-" {
		return fn(m.Stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.out), "."+filepath.Base(f.out)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := fn(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := errors.Join(tmp.Sync(), tmp.Close()); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), f.out); err != nil {
		return err
	}
	fmt.Fprintf(m.Stderr, "wrote %s\n", f.out)
	return nil
}

func (m *Main) reportWeeklyCommand() *cobra.Command {
	var f reportFlags
	var week string
	cmd := &cobra.Command{
		Use:   "weekly [--week YYYY-Www] [--format html|pdf|json|csv] [-o FILE]",
		Short: "This node's statistics of an ISO week (default: the last full week), each beside the week before",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := report.CheckFormat(f.format); err != nil {
				return usageError{err}
			}
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				var monday time.Time
				if week == "" {
					monday, _ = report.ParseWeek(report.WeekOf(e.svc.Now().AddDate(0, 0, -7)))
				} else {
					var err error
					if monday, err = report.ParseWeek(week); err != nil {
						return err
					}
				}
				w, err := report.BuildWeekly(ctx, e.svc, operator(), monday)
				if err != nil {
					return err
				}
				return m.writeReport(f, func(out io.Writer) error { return report.WriteWeekly(ctx, out, f.format, w) })
			})
		},
	}
	cmd.Flags().StringVar(&week, "week", "", "the ISO week, e.g. 2026-W47 (default: the last full week)")
	f.add(cmd)
	return cmd
}

func (m *Main) reportReviewCommand() *cobra.Command {
	var f reportFlags
	var from, to, peer string
	cmd := &cobra.Command{
		Use:   "review --from YYYY-MM-DD --to YYYY-MM-DD [--peer PARTY] [--format html|pdf|json|csv] [-o FILE]",
		Short: "The joint-dialogue review of a period: timeliness and quality of answers, from what both nodes hold, with its digest",
		Long: `Computes the review of the requests received from --from to --to (both days
included, UTC) from the signed messages and receipts both nodes hold, as the
figures stood at the end of --to. Both nodes print the same digest; compare it
with the peer's before the dialogue meets.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := report.CheckFormat(f.format); err != nil {
				return usageError{err}
			}
			var opts report.ReviewOptions
			var err error
			if opts.From, err = parseDate("from", from); err != nil {
				return usageError{err}
			}
			if opts.To, err = parseDate("to", to); err != nil {
				return usageError{err}
			}
			opts.Peer = peer
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				r, err := report.BuildReview(ctx, e.svc, operator(), opts)
				if err != nil {
					return err
				}
				if err := m.writeReport(f, func(out io.Writer) error { return report.WriteReview(ctx, out, f.format, r) }); err != nil {
					return err
				}
				if f.out != "" && f.out != "-" {
					fmt.Fprintf(m.Stderr, "review digest %s (ledger %s at size %d)\n", r.Digest, r.Checkpoint.Origin, r.Checkpoint.Size)
				}
				if r.AwaitingReceipts > 0 {
					fmt.Fprintf(m.Stderr, "note: %d messages sent by this node still wait for their receipts; until they come back the peer's digest may differ\n", r.AwaitingReceipts)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the first day of the period, YYYY-MM-DD (required)")
	cmd.Flags().StringVar(&to, "to", "", "the last day of the period, YYYY-MM-DD (required)")
	cmd.Flags().StringVar(&peer, "peer", "", "review only the exchanges with this peer (default: every peer)")
	cmd.MarkFlagRequired("from")
	cmd.MarkFlagRequired("to")
	f.add(cmd)
	return cmd
}

// parseDate reads a YYYY-MM-DD date flag.
func parseDate(flag, s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("--%s: %q is not a date (YYYY-MM-DD)", flag, s)
	}
	return t, nil
}
