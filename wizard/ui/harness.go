package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssowizard/ssowizard/harness"
)

// Bounds on starting and stopping the harness: the first start makes its keys.
const (
	harnessStartTimeout = time.Minute
	harnessStopTimeout  = 10 * time.Second
)

// harnessPanel is the Harness tab: start and stop the local Entra, and, while it runs,
// how to reach it, who can sign in, its apps, its scenarios and its last answer.
type harnessPanel struct {
	env *env

	startBtn *widget.Button
	stopBtn  *widget.Button
	status   *widget.Label
	body     *fyne.Container
	busy     bool

	// Set while the running harness is shown.
	scenarios   map[string]*widget.Check
	syncing     bool
	scenarioErr *widget.Label
	lastLabel   *widget.Label
}

func newHarnessPanel(e *env) *harnessPanel {
	p := &harnessPanel{env: e}
	e.shown = p.refresh
	e.sh.harness = p
	return p
}

func (p *harnessPanel) view() fyne.CanvasObject {
	p.startBtn = widget.NewButtonWithIcon("Start", theme.MediaPlayIcon(), p.onStart)
	p.startBtn.Importance = widget.HighImportance
	p.stopBtn = widget.NewButtonWithIcon("Stop", theme.MediaStopIcon(), p.onStop)
	p.status = wrapLabel("")
	p.body = container.NewVBox()
	p.refresh()
	top := container.NewBorder(nil, nil, container.NewHBox(p.startBtn, p.stopBtn), nil, p.status)
	return container.NewBorder(top, nil, nil, nil, container.NewVScroll(p.body))
}

// refresh shows the harness as it is now: it may have been started for a setup meanwhile.
func (p *harnessPanel) refresh() {
	if p.busy {
		return
	}
	srv := p.env.deps.Harness.Server()
	if srv == nil {
		p.startBtn.Enable()
		p.stopBtn.Disable()
		p.setStatus("The local Entra is stopped.", widget.MediumImportance)
		p.scenarios = nil
		p.body.Objects = []fyne.CanvasObject{wrapLabel("Start it to sign in to the demo tenant Contoso Demo on this computer: " +
			"its sign-in page, its users with their passwords and its apps are listed here while it runs. " +
			"A setup on the local demo tenant starts it by itself.")}
		p.body.Refresh()
		return
	}
	p.startBtn.Disable()
	p.stopBtn.Enable()
	p.setStatus("Running at "+srv.BaseURL+".", widget.SuccessImportance)
	p.body.Objects = p.running(srv)
	p.body.Refresh()
}

func (p *harnessPanel) setStatus(msg string, imp widget.Importance) {
	p.status.Importance = imp
	p.status.SetText(msg)
}

func (p *harnessPanel) onStart() {
	p.busy = true
	p.startBtn.Disable()
	p.setStatus("Starting the local Entra…", widget.MediumImportance)
	h := p.env.deps.Harness
	p.env.async(func() func() {
		ctx, cancel := context.WithTimeout(context.Background(), harnessStartTimeout)
		defer cancel()
		_, err := h.Start(ctx)
		return func() {
			p.busy = false
			p.refresh()
			if err != nil {
				p.setStatus(sentence(fmt.Errorf("the local Entra did not start: %w", err)), widget.DangerImportance)
			}
		}
	})
}

func (p *harnessPanel) onStop() {
	p.busy = true
	p.stopBtn.Disable()
	p.setStatus("Stopping the local Entra…", widget.MediumImportance)
	h := p.env.deps.Harness
	p.env.async(func() func() {
		ctx, cancel := context.WithTimeout(context.Background(), harnessStopTimeout)
		defer cancel()
		err := h.Stop(ctx)
		return func() {
			p.busy = false
			p.refresh()
			if err != nil {
				p.setStatus(sentence(fmt.Errorf("the local Entra did not stop cleanly: %w", err)), widget.DangerImportance)
			}
		}
	})
}

// running lays out the running harness's facts.
func (p *harnessPanel) running(srv *harness.Server) []fyne.CanvasObject {
	f := srv.Facts()
	objs := []fyne.CanvasObject{
		heading(fmt.Sprintf("Tenant %s (%s)", f.TenantName, f.TenantID)),
		p.valueRows([][2]string{
			{"Login (base URL)", f.BaseURL},
			{"Authority", f.Authority},
			{"Graph", f.GraphURL},
			{"CA certificate", f.CACert},
		}),
		wrapLabel("Clients must trust the CA certificate to reach the local Entra over HTTPS; the embedded test login already does."),
		widget.NewSeparator(),
		heading("Users"),
		p.users(f.Users),
		widget.NewSeparator(),
		heading("Apps"),
	}
	for _, a := range f.Apps {
		objs = append(objs, p.app(a))
	}
	objs = append(objs, widget.NewSeparator(), heading("Scenarios"),
		wrapLabel("Faults from real support cases, applied to every app of the tenant from the next sign-in."),
		p.scenarioChecks(srv))
	p.lastLabel = wrapLabel("")
	p.showLast(srv)
	open := widget.NewButtonWithIcon("Open in inspector", theme.SearchIcon(), func() { p.onOpenLast(srv) })
	objs = append(objs, widget.NewSeparator(), heading("Last answer"),
		container.NewBorder(nil, nil, nil, open, p.lastLabel))
	return objs
}

// valueRows is a form of labelled values, each with a copy button.
func (p *harnessPanel) valueRows(rows [][2]string) fyne.CanvasObject {
	var objs []fyne.CanvasObject
	for _, r := range rows {
		objs = append(objs, widget.NewLabelWithStyle(r[0], fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
			container.NewBorder(nil, nil, nil, p.copyButton(r[1]), breakLabel(r[1])))
	}
	return container.New(layout.NewFormLayout(), objs...)
}

// users lists who can sign in, with their passwords (the demo's, never a real one).
func (p *harnessPanel) users(users []harness.UserFact) fyne.CanvasObject {
	head := func(t string) fyne.CanvasObject {
		return widget.NewLabelWithStyle(t, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	objs := []fyne.CanvasObject{head("User (UPN)"), head("Password"), head("Kind")}
	for _, u := range users {
		var kind []string
		if u.Guest {
			kind = append(kind, "guest")
		} else {
			kind = append(kind, "member")
		}
		if u.Admin {
			kind = append(kind, "admin")
		}
		objs = append(objs,
			container.NewBorder(nil, nil, nil, p.copyButton(u.UPN), breakLabel(u.UPN)),
			container.NewBorder(nil, nil, nil, p.copyButton(u.Password), widget.NewLabel(u.Password)),
			widget.NewLabel(strings.Join(kind, ", ")))
	}
	return container.New(newColumnsLayout(0.52, 0.3, 0.18), objs...)
}

// app shows one app registration with what a vendor configures from it.
func (p *harnessPanel) app(a harness.AppFact) fyne.CanvasObject {
	rows := [][2]string{{"Client ID", a.AppID}}
	for _, u := range a.RedirectURIs {
		rows = append(rows, [2]string{"Redirect URI", u})
	}
	for _, u := range a.IdentifierURIs {
		rows = append(rows, [2]string{"Identifier URI", u})
	}
	rows = append(rows, [2]string{"SAML metadata", a.SAMLMetadataURL})
	title := []fyne.CanvasObject{}
	if secret := a.ClientSecret; secret != "" {
		title = append(title, p.env.copyButton("Copy client secret", secret))
	}
	name := widget.NewLabelWithStyle(a.DisplayName, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	return container.NewVBox(container.NewBorder(nil, nil, nil, container.NewHBox(title...), name), p.valueRows(rows))
}

// scenarioChecks is one check per scenario, applied to the whole tenant when changed.
func (p *harnessPanel) scenarioChecks(srv *harness.Server) fyne.CanvasObject {
	p.scenarios = map[string]*widget.Check{}
	p.scenarioErr = errorLabel()
	on := srv.Store.ScenariosFor("")
	var objs []fyne.CanvasObject
	for _, name := range harness.Scenarios() {
		c := widget.NewCheck(name, nil)
		c.Checked = slices.Contains(on, name)
		c.OnChanged = func(bool) {
			if !p.syncing {
				p.onScenarios(srv)
			}
		}
		p.scenarios[name] = c
		objs = append(objs, c)
	}
	return container.NewVBox(container.NewGridWithColumns(4, objs...), p.scenarioErr)
}

// onScenarios applies the checked scenarios to the tenant off the UI goroutine (the
// tenant may be kept in a file), then shows what is in force.
func (p *harnessPanel) onScenarios(srv *harness.Server) {
	var names []string
	for _, n := range harness.Scenarios() {
		if p.scenarios[n].Checked {
			names = append(names, n)
		}
	}
	p.env.async(func() func() {
		err := srv.Store.SetScenarios("", names)
		on := srv.Store.ScenariosFor("")
		return func() {
			if err != nil {
				p.scenarioErr.SetText(sentence(fmt.Errorf("the scenarios were not changed: %w", err)))
				p.scenarioErr.Show()
			} else {
				p.scenarioErr.Hide()
			}
			p.syncing = true
			for n, c := range p.scenarios {
				c.SetChecked(slices.Contains(on, n))
			}
			p.syncing = false
		}
	})
}

// showLast says what the harness last handed out.
func (p *harnessPanel) showLast(srv *harness.Server) {
	last, ok := srv.LastIssued()
	if !ok {
		p.lastLabel.SetText("Nothing issued yet: a test login, or any sign-in at the local Entra, leaves its SAML response or ID token here.")
		return
	}
	article, name := issuedName(last.Kind)
	p.lastLabel.SetText(fmt.Sprintf("The last answer is %s %s issued at %s.", article, name, last.At.Format("15:04:05")))
}

func (p *harnessPanel) onOpenLast(srv *harness.Server) {
	p.showLast(srv)
	last, ok := srv.LastIssued()
	if !ok {
		return
	}
	_, name := issuedName(last.Kind)
	p.env.inspect("the local Entra's last "+name, last.Message)
}

// issuedName names a kind of message issued, for people, with its article.
func issuedName(kind string) (article, name string) {
	switch kind {
	case harness.IssuedSAMLResponse:
		return "a", "SAML response"
	case harness.IssuedIDToken:
		return "an", "ID token"
	}
	return "a", kind
}

func (p *harnessPanel) copyButton(v string) fyne.CanvasObject {
	return container.NewVBox(p.env.copyButton("", v))
}

// breakLabel is a label for URLs and names without spaces, wrapped anywhere.
func breakLabel(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapBreak
	return l
}
