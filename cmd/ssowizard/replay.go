package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/replay"
	"github.com/ssowizard/ssowizard/wizard"
)

// maxBundle bounds an evidence bundle read from disk; real ones are tens of kilobytes.
const maxBundle = 16 << 20

// replayed is the harness's tenant rebuilt from an evidence bundle.
type replayed struct {
	*replay.Replay
	// Session and Vendor name the setup the bundle came from.
	Session, Vendor string
	Protocol        wizard.Protocol
}

// loadReplay reads an evidence bundle and rebuilds its tenant.
func loadReplay(path string, now time.Time) (*replayed, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("--replay: %v", fileErr(err))
	}
	if fi.Size() > maxBundle {
		return nil, fmt.Errorf("--replay %s is %d bytes, more than an evidence bundle can be: give the file export --evidence wrote", path, fi.Size())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--replay: %v", fileErr(err))
	}
	ev, err := wizard.ParseEvidence(b)
	if err != nil {
		return nil, fmt.Errorf("--replay %s: %v", path, err)
	}
	rp, err := replay.FromEvidence(ev, now)
	if err != nil {
		return nil, fmt.Errorf("--replay %s: %v", path, err)
	}
	return &replayed{Replay: rp, Session: ev.Session.ID, Vendor: ev.Session.Vendor, Protocol: ev.Session.Protocol}, nil
}

// replayFact is the replay part of harness --json.
type replayFact struct {
	Session   string   `json:"session"`
	Vendor    string   `json:"vendor"`
	Protocol  string   `json:"protocol"`
	Login     string   `json:"login"`
	Password  string   `json:"password"`
	AppID     string   `json:"app_id"`
	Scenarios []string `json:"scenarios"`
}

// replayFacts is harness --json's line: the facts, and with --replay who to sign in as.
type replayFacts struct {
	harness.Facts
	Replay *replayFact `json:"replay,omitempty"`
}

func (r *replayed) facts() *replayFact {
	if r == nil {
		return nil
	}
	sc := r.Scenarios
	if sc == nil {
		sc = []string{}
	}
	return &replayFact{Session: r.Session, Vendor: r.Vendor, Protocol: string(r.Protocol), Login: r.Login, Password: r.Password, AppID: r.AppID, Scenarios: sc}
}

// printReplay tells a person whom the replayed tenant signs in as.
func printReplay(w io.Writer, r *replayed) {
	if r == nil {
		return
	}
	fmt.Fprintf(w, "Replay of %s's %s setup %s:\n", r.Vendor, strings.ToUpper(string(r.Protocol)), r.Session)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  Sign in as\t%s\n", r.Login)
	fmt.Fprintf(tw, "  Password\t%s\n", r.Password)
	fmt.Fprintf(tw, "  App (client) ID\t%s\n", r.AppID)
	sc := strings.Join(r.Scenarios, ", ")
	if sc == "" {
		sc = "(none)"
	}
	fmt.Fprintf(tw, "  Scenarios\t%s\n", sc)
	tw.Flush()
	fmt.Fprintln(w)
}
