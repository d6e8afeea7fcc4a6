package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssowizard/ssowizard/wizard"
	"github.com/ssowizard/ssowizard/wizard/check"
)

// listTimeout bounds reading the saved setups.
const listTimeout = 30 * time.Second

// Choices of the start screen, as the radio groups show them.
const (
	modeManual    = "Manual: you make each change in the Entra admin center, and the wizard checks it"
	modeAuto      = "Automatic: the wizard makes the changes through Microsoft Graph (on your tenant, once you sign in)"
	targetHarness = "The local demo tenant on this computer (no Entra needed)"
	targetEntra   = "Your Entra tenant"
)

// harnessLine says what the local demo tenant (the harness) is, and where its users are.
const harnessLine = "The local demo tenant, also called the harness, is a small Entra that runs inside this app on this computer, " +
	"with its own sign-in page, users and apps: its demo users and their passwords are listed on the Harness tab."

// protocolNames are the protocols as the start screen shows them.
var protocolNames = map[wizard.Protocol]string{wizard.OIDC: "OpenID Connect (OIDC)", wizard.SAML: "SAML 2.0"}

// setupTab is the Setup tab: the start screen, or the setup opened from it.
type setupTab struct {
	env       *env
	host      *fyne.Container
	start     *startScreen
	startView fyne.CanvasObject
	// opened is the setup shown and screen its setup screen, nil on the start screen.
	opened *wizard.Session
	screen *setupScreen
}

func newSetupTab(e *env) *setupTab {
	t := &setupTab{env: e}
	e.sh.setup = t
	return t
}

func (t *setupTab) view() fyne.CanvasObject {
	t.start = newStartScreen(t.env, t.open)
	t.startView = t.start.view()
	t.host = container.NewStack(t.startView)
	t.env.load = t.start.reload
	return t.host
}

// open shows the setup s, whose steps act on target, in place of the start screen.
func (t *setupTab) open(s *wizard.Session, target *wizard.Target) {
	t.opened = s
	t.screen = newSetupScreen(t.env, s, target)
	back := widget.NewButtonWithIcon("All setups", theme.NavigateBackIcon(), t.back)
	t.host.Objects = []fyne.CanvasObject{
		container.NewBorder(container.NewHBox(back), nil, nil, nil, t.screen.view()),
	}
	t.host.Refresh()
	t.env.sh.selectTab("Setup")
	t.screen.reload() // once its view is in the window
}

// back returns to the start screen, with the list of saved setups read again.
func (t *setupTab) back() {
	t.opened, t.screen = nil, nil
	t.host.Objects = []fyne.CanvasObject{t.startView}
	t.host.Refresh()
	t.start.reload()
}

// demoSource names the embedded demo ticket for people.
const demoSource = "the demo ticket"

// ticketChoice is the ticket a new setup starts from.
type ticketChoice struct {
	// source names it for people: "the demo ticket" or the file's name.
	source string
	json   []byte
	ticket *wizard.Ticket
}

func demoChoice() ticketChoice {
	return ticketChoice{source: demoSource, json: wizard.DemoTicketJSON(), ticket: wizard.DemoTicket()}
}

// startScreen starts a setup (ticket, protocol, mode, target) or resumes a saved one.
type startScreen struct {
	env  *env
	open func(*wizard.Session, *wizard.Target)

	choice      ticketChoice
	ticketLabel *widget.Label
	ticketErr   *widget.Label
	demoBtn     *widget.Button
	protocols   []wizard.Protocol
	protocol    *widget.RadioGroup
	mode        *widget.RadioGroup
	target      *widget.RadioGroup
	tenant      *widget.Entry
	tenantErr   *widget.Label
	tenantRow   *fyne.Container
	startBtn    *widget.Button
	cancelBtn   *widget.Button
	status      *widget.Label

	list       *fyne.Container
	resumeBtns []*widget.Button

	cancel       context.CancelFunc
	gen          int
	listGen      int
	firstRunDone bool
}

func newStartScreen(e *env, open func(*wizard.Session, *wizard.Target)) *startScreen {
	return &startScreen{env: e, open: open}
}

func (s *startScreen) view() fyne.CanvasObject {
	s.ticketLabel = wrapLabel("")
	s.ticketErr = errorLabel()
	openBtn := widget.NewButtonWithIcon("Open ticket file…", theme.FolderOpenIcon(), s.onOpenTicket)
	s.demoBtn = widget.NewButton("Use the demo ticket", func() { s.choose(demoChoice()) })

	s.protocol = widget.NewRadioGroup(nil, nil)
	s.protocol.Horizontal = true
	s.protocol.Required = true
	s.mode = widget.NewRadioGroup([]string{modeAuto, modeManual}, nil)
	s.mode.Required = true
	// Automatic suits the preselected local demo tenant, which has no admin center to
	// make the changes in by hand.
	s.mode.SetSelected(modeAuto)

	tenant := newKeyEntry(s.env.win, "line")
	s.tenant = &tenant.Entry
	s.tenant.SetPlaceHolder("Tenant ID or a verified domain, like contoso.com")
	s.tenant.OnChanged = func(string) { s.showTenantError(nil) }
	s.tenant.OnSubmitted = func(string) { s.onStart() }
	s.tenantErr = errorLabel()
	s.tenantRow = container.NewVBox(tenant, s.tenantErr)
	s.target = widget.NewRadioGroup([]string{targetHarness, targetEntra}, func(v string) {
		if v == targetEntra {
			s.tenantRow.Show()
		} else {
			s.tenantRow.Hide()
		}
	})
	s.target.Required = true
	s.target.SetSelected(targetHarness)

	start := newEnterButton("Start setup", theme.MediaPlayIcon(), s.onStart)
	s.startBtn = &start.Button
	s.startBtn.Importance = widget.HighImportance
	s.cancelBtn = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), s.onCancel)
	s.cancelBtn.Hide()
	s.status = wrapLabel("")
	s.status.Hide()

	s.choose(demoChoice())

	bold := func(t string) fyne.CanvasObject {
		return widget.NewLabelWithStyle(t, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	form := container.New(layout.NewFormLayout(),
		bold("Ticket"), container.NewVBox(
			container.NewBorder(nil, nil, nil, container.NewHBox(openBtn, s.demoBtn), s.ticketLabel),
			s.ticketErr),
		bold("Protocol"), s.protocol,
		bold("Mode"), s.mode,
		bold("Target"), container.NewVBox(s.target, captionLabel(harnessLine), s.tenantRow),
	)
	s.list = container.NewVBox(wrapLabel("Reading the saved setups…"))
	return container.NewVScroll(container.NewVBox(
		heading("Start a setup"),
		form,
		container.NewHBox(start, s.cancelBtn),
		s.status,
		widget.NewSeparator(),
		heading("Resume a saved setup"),
		s.list,
	))
}

// choose makes c the ticket of the next setup, offering the protocols it allows.
func (s *startScreen) choose(c ticketChoice) {
	s.choice = c
	s.ticketErr.Hide()
	s.ticketLabel.SetText(fmt.Sprintf("%s, from %s.", c.ticket.Vendor, c.source))
	if c.source == demoSource {
		s.demoBtn.Hide()
	} else {
		s.demoBtn.Show()
	}
	s.protocols = append(s.protocols[:0], c.ticket.Protocols...)
	names := make([]string, len(s.protocols))
	for i, p := range s.protocols {
		names[i] = protocolNames[p]
	}
	s.protocol.Options = names
	s.protocol.SetSelected(names[0])
	s.protocol.Refresh()
}

func (s *startScreen) onOpenTicket() {
	d := openFileDialog(s.env.win, func(err error) {
		s.showTicketError(fmt.Errorf("opening the ticket file failed: %w", err))
	}, s.loadTicket)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".json"}))
	d.Show()
}

// loadTicket reads a ticket file off the UI goroutine and chooses it; a file that is
// not a ticket leaves the current choice, with the reason under it.
func (s *startScreen) loadTicket(name string, read func() ([]byte, error)) {
	s.env.async(func() func() {
		b, err := read()
		var t *wizard.Ticket
		if err == nil {
			t, err = wizard.ParseTicket(b)
		}
		return func() {
			if err != nil {
				s.showTicketError(fmt.Errorf("the file %s cannot be used: %w; %s stays selected", name, err, s.choice.source))
				return
			}
			s.choose(ticketChoice{source: name, json: b, ticket: t})
		}
	})
}

func (s *startScreen) showTicketError(err error) {
	s.ticketErr.SetText(sentence(err))
	s.ticketErr.Show()
}

func (s *startScreen) showTenantError(err error) {
	if err == nil {
		s.tenantErr.Hide()
		return
	}
	s.tenantErr.SetText(err.Error())
	s.tenantErr.Show()
}

func (s *startScreen) setStatus(msg string, imp widget.Importance) {
	s.status.Importance = imp
	s.status.SetText(msg)
	if msg == "" {
		s.status.Hide()
	} else {
		s.status.Show()
	}
}

// newSession reads the choices into a NewSession; a wrong tenant entry is shown under it.
func (s *startScreen) newSession() (wizard.NewSession, bool) {
	n := wizard.NewSession{Ticket: s.choice.json, Target: "harness", Mode: wizard.Manual}
	for i, name := range s.protocol.Options {
		if name == s.protocol.Selected {
			n.Protocol = s.protocols[i]
		}
	}
	if s.mode.Selected == modeAuto {
		n.Mode = wizard.Auto
	}
	if s.target.Selected == targetEntra {
		n.Target = "entra"
		n.TenantID = strings.TrimSpace(s.tenant.Text)
		if r := check.TenantID(n.TenantID); r.Failed() {
			s.showTenantError(errors.New(strings.TrimSpace(r.Message + " " + r.Fix)))
			return n, false
		}
	}
	return n, true
}

func (s *startScreen) onStart() {
	n, ok := s.newSession()
	if !ok {
		s.setStatus("Not started: correct the tenant above.", widget.DangerImportance)
		return
	}
	s.begin(fmt.Sprintf("Starting the setup of %s…", s.choice.ticket.Vendor), func(ctx context.Context, eng *wizard.Engine) (*wizard.Session, error) {
		return eng.Create(ctx, n)
	})
}

// startDemo starts the demo setup: the demo ticket, OIDC, automatic mode (the local
// harness has Graph but no admin center to work in by hand), the local harness.
func (s *startScreen) startDemo() {
	s.choose(demoChoice())
	s.protocol.SetSelected(protocolNames[wizard.OIDC])
	s.mode.SetSelected(modeAuto)
	s.target.SetSelected(targetHarness)
	s.onStart()
}

func (s *startScreen) onResume(sum wizard.Summary) {
	s.begin(fmt.Sprintf("Opening the setup of %s…", sum.Vendor), func(ctx context.Context, eng *wizard.Engine) (*wizard.Session, error) {
		return eng.Load(ctx, sum.ID)
	})
}

// begin gets a session off the UI goroutine (created or loaded), then the target its
// steps act on, and opens it; Cancel ends the wait. The start and resume buttons
// are disabled meanwhile.
func (s *startScreen) begin(msg string, session func(ctx context.Context, eng *wizard.Engine) (*wizard.Session, error)) {
	s.onCancel()
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.gen++
	gen := s.gen
	s.setBusy(true)
	s.setStatus(msg, widget.MediumImportance)
	target := s.env.deps.Target
	s.env.async(func() func() {
		sess, t, err := func() (*wizard.Session, *wizard.Target, error) {
			eng, err := s.env.engine(ctx)
			if err != nil {
				return nil, nil, err
			}
			sess, err := session(ctx, eng)
			if err != nil {
				return nil, nil, err
			}
			if target == nil {
				return sess, nil, errors.New("this build cannot reach a tenant, so the setup cannot be opened")
			}
			t, err := target(ctx, sess.TargetName(), sess.Mode(), s.env.showSignIn)
			if err != nil {
				return sess, nil, fmt.Errorf("the setup is saved, but %s cannot be reached: %w", targetName(sess.TargetName()), err)
			}
			return sess, t, nil
		}()
		return func() {
			cancel()
			if gen != s.gen {
				return // cancelled (onCancel said so) or replaced by a newer start
			}
			s.cancel = nil
			s.setBusy(false)
			if err != nil {
				s.setStatus(sentence(err), widget.DangerImportance)
				s.reload() // a setup saved before its target failed is listed
				return
			}
			s.setStatus("", widget.MediumImportance)
			s.open(sess, t) // the list is read again on the way back

		}
	})
}

func (s *startScreen) onCancel() {
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
		s.gen++ // the result of the cancelled work is dropped
		s.setBusy(false)
		s.setStatus("Cancelled.", widget.MediumImportance)
	}
}

func (s *startScreen) setBusy(busy bool) {
	if busy {
		s.startBtn.Disable()
		s.cancelBtn.Show()
	} else {
		s.startBtn.Enable()
		s.cancelBtn.Hide()
	}
	for _, b := range s.resumeBtns {
		if busy || b.Importance == widget.LowImportance {
			b.Disable()
		} else {
			b.Enable()
		}
	}
}

// reload reads the saved setups off the UI goroutine and lists them. On a first run
// (none saved) with DemoOnFirstRun it starts the demo setup.
func (s *startScreen) reload() {
	s.listGen++
	gen := s.listGen
	s.env.async(func() func() {
		ctx, cancel := context.WithTimeout(context.Background(), listTimeout)
		defer cancel()
		var sums []wizard.Summary
		eng, err := s.env.engine(ctx)
		if err == nil {
			sums, err = eng.Summaries(ctx)
		}
		return func() {
			if gen != s.listGen {
				return
			}
			s.showList(sums, err)
			if err == nil && len(sums) == 0 && s.env.deps.DemoOnFirstRun && !s.firstRunDone && s.cancel == nil {
				s.firstRunDone = true
				s.startDemo()
			}
		}
	})
}

// showList lists the saved setups, or says why there are none.
func (s *startScreen) showList(sums []wizard.Summary, err error) {
	s.resumeBtns = nil
	switch {
	case err != nil:
		l := wrapLabel(sentence(fmt.Errorf("the saved setups cannot be read: %w", err)))
		l.Importance = widget.DangerImportance
		s.list.Objects = []fyne.CanvasObject{l}
	case len(sums) == 0:
		s.list.Objects = []fyne.CanvasObject{wrapLabel("No saved setups yet. Start one above: it is saved at every step, so you can come back to it here.")}
	default:
		s.list.Objects = []fyne.CanvasObject{s.summaryTable(sums)}
	}
	s.list.Refresh()
	s.setBusy(s.cancel != nil)
}

// summaryTable lays the saved setups out one row each, with a Resume button.
func (s *startScreen) summaryTable(sums []wizard.Summary) fyne.CanvasObject {
	head := func(t string) fyne.CanvasObject {
		return widget.NewLabelWithStyle(t, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	objs := []fyne.CanvasObject{head("Vendor"), head("Protocol"), head("Target"), head("Status"),
		head("Current step"), head("Verified"), head("Updated"), layout.NewSpacer()}
	now := s.env.now()
	for _, sum := range sums {
		status, readable := summaryStatus(sum.Status)
		resume := widget.NewButton("Resume", func() { s.onResume(sum) })
		if !readable {
			// LowImportance marks a button that stays disabled (see setBusy).
			resume.Importance = widget.LowImportance
			resume.Disable()
		}
		s.resumeBtns = append(s.resumeBtns, resume)
		objs = append(objs,
			wrapLabel(sum.Vendor),
			widget.NewLabel(strings.ToUpper(string(sum.Protocol))),
			wrapLabel(summaryTarget(sum)),
			widget.NewLabel(status),
			wrapLabel(sum.Current.Title()),
			widget.NewLabel(fmt.Sprintf("%d of %d", sum.Verified, sum.Steps)),
			wrapLabel(ago(now, sum.Updated)),
			container.NewVBox(resume))
	}
	return container.New(newColumnsLayout(0.19, 0.08, 0.15, 0.11, 0.16, 0.08, 0.12, 0.11), objs...)
}

// summaryStatus is a saved setup's status for people, and whether it can be opened.
func summaryStatus(status string) (string, bool) {
	switch {
	case status == wizard.SessionEnabled:
		return "Enabled", true
	case status == wizard.SessionInProgress:
		return "In progress", true
	case strings.HasPrefix(status, "unreadable"):
		return "Unreadable", false
	}
	return status, true
}

// summaryTarget names a saved setup's target for people.
func summaryTarget(sum wizard.Summary) string {
	if sum.Target == "harness" {
		return "Local demo tenant"
	}
	if sum.TenantID != "" {
		return "Entra " + sum.TenantID
	}
	return "Entra"
}

// ago says how long before now t was, in the largest whole unit.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	unit := func(n int, what string) string {
		if n == 1 {
			return "1 " + what + " ago"
		}
		return fmt.Sprintf("%d %ss ago", n, what)
	}
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return unit(int(d/time.Minute), "minute")
	case d < 24*time.Hour:
		return unit(int(d/time.Hour), "hour")
	case d < 30*24*time.Hour:
		return unit(int(d/(24*time.Hour)), "day")
	}
	return t.Format("2 Jan 2006")
}
