package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/ssowizard/ssowizard/wizard"
)

const exportAbout = `Write what a setup produced: the connection bundle the vendor needs to turn single sign-on on
(only once the setup is enabled), the evidence bundle support needs to understand and replay the
login (ssowizard harness --replay), and the expiry reminders as an iCalendar file.

The connection bundle holds no client secret unless --with-secret is given; the evidence bundle
never does. Files are written private to their owner (0600) and atomically: a reader sees the old
file or the new one. "-" writes to stdout (one output at most).

--submit posts the connection bundle (with the secret only with --with-secret) to the submit_url
of the setup's ticket, over HTTPS.

Exit status: 0 written, 1 the setup cannot give it yet (not enabled, the secret not kept on this
computer) or the vendor refused the submission, 2 usage error or an unreadable database.`

type exportFlags struct {
	db, session, connection, evidence, ics string
	withSecret, submit                     bool
}

func runExport(e *env, args []string) int {
	var f exportFlags
	fs := newFlagSet(e, "export", "[--session ID] [--connection FILE|-] [--with-secret] [--evidence FILE|-] [--ics FILE] [--submit]", exportAbout)
	fs.StringVar(&f.db, "db", "", "the database `FILE` (default $"+dbEnv+", else ssowizard.db in the user config directory)")
	fs.StringVar(&f.session, "session", "", "the setup `ID` (default: the most recently changed)")
	fs.StringVar(&f.connection, "connection", "", "write the connection bundle to `FILE`, or - for stdout")
	fs.BoolVar(&f.withSecret, "with-secret", false, "put the client secret's value in the connection bundle")
	fs.StringVar(&f.evidence, "evidence", "", "write the evidence bundle (no secret) to `FILE`, or - for stdout")
	fs.StringVar(&f.ics, "ics", "", "write the expiry reminders as an iCalendar `FILE`, or - for stdout")
	fs.BoolVar(&f.submit, "submit", false, "post the connection bundle to the ticket's submit_url")
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "ssowizard export: "+format+".\n", a...)
		return exitUsage
	}
	wrong := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "ssowizard export: "+format+".\n", a...)
		return exitWrong
	}
	if len(pos) > 0 {
		return usage("unexpected argument %q; it takes only flags", pos[0])
	}
	if f.connection == "" && f.evidence == "" && f.ics == "" && !f.submit {
		return usage("nothing to export: give --connection FILE, --evidence FILE, --ics FILE or --submit")
	}
	if f.withSecret && f.connection == "" && !f.submit {
		return usage("--with-secret goes with --connection or --submit: the evidence bundle never holds the secret")
	}
	stdouts := 0
	for _, o := range []string{f.connection, f.evidence, f.ics} {
		if o == "-" {
			stdouts++
		}
	}
	if stdouts > 1 {
		return usage("only one output can be - (stdout); write the others to files")
	}
	path := dbPath(f.db)
	if path == "" {
		return usage("%v", errNoDB)
	}
	ctx := e.context()
	db, found, err := openExisting(ctx, path)
	if err != nil {
		return usage("%v", err)
	}
	if !found {
		return usage("there are no setups yet (%s does not exist): run ssowizard setup first", path)
	}
	defer db.Close()
	eng := &wizard.Engine{DB: db, Secrets: e.keeper()}
	id := f.session
	if id == "" {
		rows, err := db.Sessions(ctx)
		if err != nil {
			return usage("reading %s: %v", path, err)
		}
		if len(rows) == 0 {
			return usage("there are no setups yet in %s: run ssowizard setup first", path)
		}
		id = rows[0].ID
	}
	s, err := eng.Load(ctx, id)
	if err != nil {
		return usage("%v", err)
	}

	// Everything is built before anything is written, so a refusal leaves no half export.
	type output struct {
		name, what string
		body       []byte
	}
	var outs []output
	var conn []byte
	if f.connection != "" || f.submit {
		c, err := s.ConnectionBundle(ctx, f.withSecret)
		if err != nil {
			return wrong("setup %s: %v", s.ID(), err)
		}
		if conn, err = json.MarshalIndent(c, "", "  "); err != nil {
			return usage("%v", err)
		}
		conn = append(conn, '\n')
		if f.connection != "" {
			outs = append(outs, output{f.connection, "connection bundle", conn})
		}
	}
	if f.evidence != "" {
		ev, err := s.EvidenceBundle(ctx)
		if err != nil {
			return usage("setup %s: %v", s.ID(), err)
		}
		b, err := json.MarshalIndent(ev, "", "  ")
		if err != nil {
			return usage("%v", err)
		}
		outs = append(outs, output{f.evidence, "evidence bundle", append(b, '\n')})
	}
	if f.ics != "" {
		outs = append(outs, output{f.ics, "reminders", s.RemindersICS()})
	}
	var submitURL string
	if f.submit {
		if submitURL, err = checkSubmitURL(s.Ticket.SubmitURL); err != nil {
			return usage("setup %s: %v", s.ID(), err)
		}
	}
	for _, o := range outs {
		if o.name == "-" {
			if _, err := e.stdout.Write(o.body); err != nil {
				return usage("writing the %s to stdout: %v", o.what, err)
			}
			continue
		}
		if err := writeFileAtomic(o.name, o.body); err != nil {
			return usage("writing the %s: %v", o.what, err)
		}
		fmt.Fprintf(e.stderr, "Wrote the %s of setup %s to %s.\n", o.what, s.ID(), o.name)
	}
	if f.submit {
		client := e.submit
		if client == nil {
			client = &http.Client{Timeout: 60 * time.Second}
		}
		if err := submitConnection(ctx, client, submitURL, conn); err != nil {
			return wrong("%v", err)
		}
		fmt.Fprintf(e.stderr, "Submitted the connection bundle of setup %s to %s.\n", s.ID(), submitURL)
	}
	return exitOK
}

// writeFileAtomic writes b to path, private to its owner: into a temporary file beside
// it, synced, then renamed over it, so a reader sees the old file or the new one.
func writeFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("%s cannot be written (%v): check the directory exists and is yours", path, errors.Unwrap(err))
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		return fmt.Errorf("%s cannot be written (%v)", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("%s cannot be written (%v)", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%s cannot be written (%v)", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("%s cannot be replaced (%v)", path, errors.Unwrap(err))
	}
	done = true
	return nil
}

// checkSubmitURL accepts the ticket's submit_url when it is an https URL.
func checkSubmitURL(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("the ticket names no submit_url: write the bundle with --connection FILE and send it to the vendor")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("the ticket's submit_url %q is not an https URL, and the bundle is not sent in the clear: write it with --connection FILE instead", raw)
	}
	return u.String(), nil
}

// maxSubmitAnswer bounds what is read of the vendor's answer.
const maxSubmitAnswer = 64 << 10

// submitConnection posts the bundle; any answer but 2xx is a refusal. Redirects are not
// followed: the bundle goes only where the ticket says.
func submitConnection(ctx context.Context, c *http.Client, u string, body []byte) error {
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := cc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("the connection bundle could not be sent to %s (%v): check the network, or write it with --connection FILE and send it yourself", u, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxSubmitAnswer))
	if resp.StatusCode/100 != 2 {
		msg := bytes.TrimSpace(answer)
		if len(msg) > 200 {
			msg = append(msg[:200], "…"...)
		}
		return fmt.Errorf("%s refused the connection bundle with HTTP %d (%s): ask the vendor, or send the file --connection writes", u, resp.StatusCode, msg)
	}
	return nil
}
