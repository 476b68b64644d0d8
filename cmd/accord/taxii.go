package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
	"github.com/accord-cyber/accord/stix"
	"github.com/accord-cyber/accord/taxii"
)

// defaultTAXIIRoot is the API root `accord taxii collections add` creates
// (as discovery's default) when the node has none.
const defaultTAXIIRoot = "accord"

func (m *Main) taxiiCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "taxii",
		Short: "TAXII 2.1: the collections this node serves at /taxii2/, and pulling a partner's or community feed",
	}
	collections := &cobra.Command{Use: "collections", Short: "List and add the TAXII collections this node serves"}
	collections.AddCommand(m.taxiiCollectionsList(), m.taxiiCollectionsAdd())
	cmd.AddCommand(collections, m.taxiiPull())
	return cmd
}

func (m *Main) taxiiCollectionsList() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the TAXII collections, with audience, TLP ceiling and grants",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				cs, err := e.svc.TAXIICollections(ctx, operator(), "")
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(map[string]any{"collections": cs})
				}
				if len(cs) == 0 {
					fmt.Fprintln(m.Stdout, "No TAXII collections. Add one with: accord taxii collections add --title T --audience PARTY|community --max-tlp LEVEL --read user:NAME")
					return nil
				}
				rows := [][]string{{"ROOT", "ID", "TITLE", "AUDIENCE", "MAX TLP", "READ", "WRITE"}}
				for _, c := range cs {
					var read, write []string
					for _, g := range c.Grants {
						who := "user:" + g.User
						if g.Role != "" {
							who = "role:" + string(g.Role)
						}
						if g.Read {
							read = append(read, who)
						}
						if g.Write {
							write = append(write, who)
						}
					}
					rows = append(rows, []string{c.APIRoot, c.ID, c.Title, c.Audience, string(c.MaxTLP), strings.Join(read, ","), strings.Join(write, ",")})
				}
				m.table(rows)
				return nil
			})
		},
	}
}

// parseGrants reads --read and --write values (user:NAME or role:ROLE)
// into grants, one per grantee.
func parseGrants(read, write []string) ([]accord.TAXIIGrant, error) {
	var out []accord.TAXIIGrant
	index := map[string]int{}
	add := func(flag, v string, isWrite bool) error {
		kind, who, ok := strings.Cut(v, ":")
		if !ok || who == "" || (kind != "user" && kind != "role") {
			return accord.FieldError("--"+flag, "%q is not user:NAME or role:ROLE", v)
		}
		i, seen := index[v]
		if !seen {
			g := accord.TAXIIGrant{User: who}
			if kind == "role" {
				r, err := accord.ParseRole("--"+flag, who)
				if err != nil {
					return err
				}
				g = accord.TAXIIGrant{Role: r}
			}
			out = append(out, g)
			i = len(out) - 1
			index[v] = i
		}
		if isWrite {
			out[i].Write = true
		} else {
			out[i].Read = true
		}
		return nil
	}
	for _, v := range read {
		if err := add("read", v, false); err != nil {
			return nil, err
		}
	}
	for _, v := range write {
		if err := add("write", v, true); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (m *Main) taxiiCollectionsAdd() *cobra.Command {
	var c accord.TAXIICollection
	var maxTLP string
	var read, write []string
	cmd := &cobra.Command{
		Use:   "add --title T --audience PARTY|community --max-tlp LEVEL [--read user:NAME|role:ROLE]... [--write ...]",
		Short: "Add a TAXII collection: one sharing audience (a peer party or the community) up to a TLP level",
		Long: `Add a TAXII collection. A collection is one sharing audience — a party
(--audience cncert) or the whole community (--audience community) — and
carries information up to --max-tlp: the community at most green; a party
any level, TLP:RED only for objects naming it in x_accord_recipients.
Only the users and roles named by --read and --write may read or add
objects (there is no implicit access, even for admins). Without --root the
collection goes in the API root "accord", created when absent.`,
		Args: exactArgs(0, "no arguments, only flags"),
		RunE: func(cmd *cobra.Command, args []string) error {
			grants, err := parseGrants(read, write)
			if err != nil {
				return err
			}
			c.Grants, c.MaxTLP = grants, accord.TLP(maxTLP)
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				if c.APIRoot == "" {
					c.APIRoot = defaultTAXIIRoot
					if _, err := e.svc.TAXIIAPIRoot(ctx, operator(), c.APIRoot); accord.ErrorCode(err) == accord.ENOTFOUND {
						roots, err := e.svc.TAXIIAPIRoots(ctx, operator())
						if err != nil {
							return err
						}
						_, err = e.svc.CreateTAXIIAPIRoot(ctx, operator(), accord.TAXIIAPIRoot{ID: c.APIRoot, Title: "accord " + e.cfg.Party,
							Description: "Threat intelligence shared by " + e.cfg.Party, Default: len(roots) == 0})
						if err != nil {
							return err
						}
					} else if err != nil {
						return err
					}
				}
				out, err := e.svc.CreateTAXIICollection(ctx, operator(), c)
				if err != nil {
					return err
				}
				if m.jsonOut {
					return m.printJSON(out)
				}
				fmt.Fprintf(m.Stdout, "Collection %s added: /taxii2/%s/collections/%s/ (%s, at most TLP:%s)\n",
					out.ID, out.APIRoot, out.ID, out.Audience, strings.ToUpper(string(out.MaxTLP)))
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.APIRoot, "root", "", "API root (default \"accord\", created when absent)")
	f.StringVar(&c.ID, "id", "", "collection id (default a new UUID)")
	f.StringVar(&c.Title, "title", "", "title (required)")
	f.StringVar(&c.Description, "description", "", "description")
	f.StringVar(&c.Alias, "alias", "", "alias, unique within the API root")
	f.StringVar(&c.Audience, "audience", "", "a party id, or community (required)")
	f.StringVar(&maxTLP, "max-tlp", "", "the most restrictive TLP it carries: "+joinList(accord.TLPs)+" (required)")
	f.StringArrayVar(&read, "read", nil, "who may read: user:NAME or role:ROLE (repeatable)")
	f.StringArrayVar(&write, "write", nil, "who may add objects: user:NAME or role:ROLE (repeatable)")
	cmd.MarkFlagRequired("title")
	cmd.MarkFlagRequired("audience")
	cmd.MarkFlagRequired("max-tlp")
	return cmd
}

// pullReport sums up a pull.
type pullReport struct {
	URL        string             `json:"url"`
	Collection string             `json:"collection"`
	CaseID     string             `json:"case_id"`
	Pages      int                `json:"pages"`
	Objects    int                `json:"objects"`
	Added      int                `json:"added"`
	Unchanged  int                `json:"unchanged"`
	Skipped    []node.SkippedItem `json:"skipped"`
	// Last is the X-TAXII-Date-Added-Last of the last page: pass it as
	// --added-after next time to pull only what is new.
	Last time.Time `json:"last,omitzero"`
}

func (m *Main) taxiiPull() *cobra.Command {
	var collection, caseID, user, token, addedAfter, title, tlp string
	var limit int
	cmd := &cobra.Command{
		Use:   "pull URL --collection ID [--case ID] [--user U --token T]",
		Short: "Import a TAXII 2.1 collection (a partner's or community feed) into a case, page by page",
		Long: `Pull the objects of a TAXII 2.1 collection into a case. URL is the API
root (e.g. https://taxii.example/api1/). The collection is read page by page
(--limit objects a page, following next); each page is imported all or
nothing through the same checks as accord import stix, objects that fail
STIX 2.1 validation are skipped with the reason, and a summary is printed.
Without --case a new case is opened. Credentials: --user and --token for
HTTP Basic, or --token alone for a bearer token (default $ACCORD_TAXII_TOKEN).
--added-after takes the "last" of a previous pull to fetch only what is new.`,
		Args: exactArgs(1, "one argument, the API root URL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			after, err := parseTime("added-after", addedAfter)
			if err != nil {
				return err
			}
			if token == "" {
				token = m.Getenv("ACCORD_TAXII_TOKEN")
			}
			client := &taxii.Client{HTTP: &http.Client{Timeout: 5 * time.Minute}, User: user, Token: token}
			return m.withEnv(cmd, func(ctx context.Context, e *env) error {
				rep := &pullReport{URL: args[0], Collection: collection, CaseID: caseID, Skipped: []node.SkippedItem{}}
				err := m.pull(ctx, e, client, rep, taxii.PageRequest{AddedAfter: after, Limit: limit},
					node.NewCase{Title: title, Category: "other", TLP: accord.TLP(tlp)})
				if m.jsonOut {
					if perr := m.printJSON(rep); perr != nil {
						return errors.Join(err, perr)
					}
				} else if rep.Pages > 0 {
					fmt.Fprintf(m.Stdout, "%s collection %s: case %s: %d pages, %d objects, %d added, %d unchanged, %d skipped\n",
						rep.URL, rep.Collection, rep.CaseID, rep.Pages, rep.Objects, rep.Added, rep.Unchanged, len(rep.Skipped))
					for _, s := range rep.Skipped {
						fmt.Fprintf(m.Stdout, "  skipped %s: %s\n", s.Item, s.Reason)
					}
					if !rep.Last.IsZero() {
						fmt.Fprintf(m.Stdout, "next time: --added-after %s\n", rep.Last.Format(time.RFC3339Nano))
					}
				}
				return err
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&collection, "collection", "", "the collection's id (required)")
	f.StringVar(&caseID, "case", "", "import into this case instead of opening one")
	f.StringVar(&user, "user", "", "user name for HTTP Basic (with --token as password)")
	f.StringVar(&token, "token", "", "token or password (default $ACCORD_TAXII_TOKEN)")
	f.StringVar(&addedAfter, "added-after", "", "only objects added after this time (RFC 3339)")
	f.IntVar(&limit, "limit", 1000, "objects per page")
	f.StringVar(&title, "title", "", "title of the case a pull opens (default: TAXII URL and collection)")
	f.StringVar(&tlp, "tlp", "amber", "TLP of the case a pull opens: "+joinList(accord.TLPs))
	cmd.MarkFlagRequired("collection")
	return cmd
}

// pull reads every page and imports each into the case, filling rep.
func (m *Main) pull(ctx context.Context, e *env, client *taxii.Client, rep *pullReport, page taxii.PageRequest, nc node.NewCase) error {
	if nc.Title == "" {
		nc.Title = "TAXII " + rep.URL + " collection " + rep.Collection
		if len(nc.Title) > accord.MaxSubjectLen {
			nc.Title = nc.Title[:accord.MaxSubjectLen]
		}
	}
	source := "taxii:" + strings.TrimSuffix(rep.URL, "/") + "/collections/" + rep.Collection
	for {
		env, err := client.Objects(ctx, rep.URL, rep.Collection, page)
		if err != nil {
			return fmt.Errorf("page %d: %w", rep.Pages+1, err)
		}
		rep.Pages++
		// Objects that are not valid STIX 2.1 are skipped with the reason;
		// the page's others go in together.
		var good []*stix.Object
		for i, raw := range env.Objects {
			o, err := stix.Parse(raw)
			if err == nil {
				err = o.Validate()
			}
			if err != nil {
				item := fmt.Sprintf("page %d object %d", rep.Pages, i)
				if o != nil && o.ID() != "" {
					item = o.ID()
				}
				rep.Objects++
				rep.Skipped = append(rep.Skipped, node.SkippedItem{Item: item, Reason: accord.ErrorMessage(err)})
				continue
			}
			good = append(good, o)
		}
		if len(good) > 0 {
			i := 0
			next := func() (*stix.Object, error) {
				if i == len(good) {
					return nil, io.EOF
				}
				i++
				return good[i-1], nil
			}
			ir, err := e.svc.ImportObjects(ctx, operator(), next, node.ImportOptions{CaseID: rep.CaseID, NewCase: nc, Source: source})
			if err != nil {
				return fmt.Errorf("page %d: %w", rep.Pages, err)
			}
			rep.CaseID = ir.CaseID
			rep.Objects += ir.Objects
			rep.Added += ir.Added
			rep.Unchanged += ir.Unchanged
			rep.Skipped = append(rep.Skipped, ir.Skipped...)
		}
		if !env.DateAddedLast.IsZero() {
			rep.Last = env.DateAddedLast
		}
		if m.progressOn() {
			fmt.Fprintf(m.Stderr, "\rpulled %d pages, %d objects", rep.Pages, rep.Objects)
		}
		if !env.More {
			if m.progressOn() {
				fmt.Fprintln(m.Stderr)
			}
			return nil
		}
		page.Next = env.Next
	}
}

// progressOn reports whether stderr is a terminal (progress lines go there).
func (m *Main) progressOn() bool {
	f, ok := m.Stderr.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
