package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ssowizard/ssowizard/wizard"
	"github.com/ssowizard/ssowizard/wizard/check"
)

const statusAbout = `Show the saved setups, most recently changed first: vendor, protocol, target, mode, whether
enabled or where it stands, how many steps are verified, the last test login, the client secret's
and signing certificates' expiry, and the next reminder. A database that does not exist yet means
no setups: nothing is created.

--json prints one object: {"db": PATH, "setups": [{id, vendor, protocol, target, mode, status,
current, verified, steps, tenant_id, app_id, updated, last_test {id, started, ok, user},
expiry [{id, severity, message, fix}], next_reminder {What, Due, Expires}}]}.

Exit status: 0 listed (also when there are none), 2 usage error or an unreadable database.`

// statusJSON is what status --json prints.
type statusJSON struct {
	DB     string           `json:"db"`
	Setups []wizard.Summary `json:"setups"`
}

func runStatus(e *env, args []string) int {
	var dbFlag string
	var asJSON bool
	fs := newFlagSet(e, "status", "[--db FILE] [--json]", statusAbout)
	fs.StringVar(&dbFlag, "db", "", "the database `FILE` (default $"+dbEnv+", else ssowizard.db in the user config directory)")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object")
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "ssowizard status: "+format+".\n", a...)
		return exitUsage
	}
	if len(pos) > 0 {
		return usage("unexpected argument %q; it takes only flags", pos[0])
	}
	path := dbPath(dbFlag)
	if path == "" {
		return usage("%v", errNoDB)
	}
	ctx := e.context()
	db, found, err := openExisting(ctx, path)
	if err != nil {
		return usage("%v", err)
	}
	sums := []wizard.Summary{}
	if found {
		defer db.Close()
		eng := &wizard.Engine{DB: db, Secrets: e.keeper()}
		if sums, err = eng.Summaries(ctx); err != nil {
			return usage("reading %s: %v", path, err)
		}
	}
	if asJSON {
		b, err := json.Marshal(statusJSON{DB: path, Setups: sums})
		if err != nil {
			return usage("%v", err)
		}
		fmt.Fprintf(e.stdout, "%s\n", b)
		return exitOK
	}
	if len(sums) == 0 {
		fmt.Fprintf(e.stdout, "no setups yet in %s; start one with: ssowizard setup --ticket demo --protocol oidc --target harness --auto\n", path)
		return exitOK
	}
	writeStatus(e.stdout, sums)
	return exitOK
}

// writeStatus prints the setups as a table, then each setup's expiry warnings and next
// reminder under its ID.
func writeStatus(w io.Writer, sums []wizard.Summary) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tVENDOR\tPROTOCOL\tTARGET\tMODE\tSTATUS\tSTEP\tVERIFIED\tLAST TEST")
	for _, s := range sums {
		step := s.Current.Title()
		if s.Status == wizard.SessionEnabled {
			step = "-"
		}
		last := "none"
		if t := s.LastTest; t != nil {
			word := "failed"
			if t.OK {
				word = "ok"
			}
			last = fmt.Sprintf("%s %s", word, t.Started.Local().Format("2006-01-02 15:04"))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%s\n", s.ID, s.Vendor, strings.ToUpper(string(s.Protocol)), s.Target, s.Mode,
			strings.ReplaceAll(s.Status, "_", " "), step, s.Verified, s.Steps, last)
	}
	tw.Flush()
	for _, s := range sums {
		var lines []string
		for _, r := range s.Expiry {
			if r.Severity != check.OK {
				lines = append(lines, fmt.Sprintf("  %s %s", r.Message, r.Fix))
			}
		}
		if r := s.NextReminder; r != nil {
			lines = append(lines, fmt.Sprintf("  next reminder %s: %s expires %s", r.Due.Local().Format(time.DateOnly), r.What, r.Expires.Local().Format(time.DateOnly)))
		}
		if len(lines) > 0 {
			fmt.Fprintf(w, "\n%s (%s):\n%s\n", s.ID, s.Vendor, strings.Join(lines, "\n"))
		}
	}
}
