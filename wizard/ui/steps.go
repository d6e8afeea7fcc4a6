package ui

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssowizard/ssowizard/wizard"
	"github.com/ssowizard/ssowizard/wizard/check"
)

// statusText is a step's status as the list shows it under the step's name.
func statusText(st wizard.StepState, running bool) string {
	if running {
		return "Running…"
	}
	switch st.Status {
	case wizard.Verified:
		return "Verified"
	case wizard.InProgress:
		return "Interrupted: run it again"
	case wizard.Failed:
		n := 0
		for _, r := range st.Checks {
			if r.Failed() {
				n++
			}
		}
		if n == 0 {
			return "Failed: could not finish"
		}
		return "Failed: " + plural(n, "problem")
	}
	return "Not started"
}

// statusIcon is a step's status as the list's icon shows it.
func statusIcon(s wizard.Status) fyne.Resource {
	switch s {
	case wizard.Verified:
		return theme.NewSuccessThemedResource(theme.ConfirmIcon())
	case wizard.Failed:
		return theme.NewErrorThemedResource(theme.ErrorIcon())
	case wizard.InProgress:
		return theme.NewWarningThemedResource(theme.MoreHorizontalIcon())
	}
	return theme.RadioButtonIcon()
}

// severityIcon is a check's severity as an icon.
func severityIcon(s check.Severity) fyne.Resource {
	switch s {
	case check.Error:
		return theme.NewErrorThemedResource(theme.ErrorIcon())
	case check.Warning:
		return theme.NewWarningThemedResource(theme.WarningIcon())
	}
	return theme.NewSuccessThemedResource(theme.ConfirmIcon())
}

// runLabel is the text of the button that runs a step.
func runLabel(mode wizard.Mode, n wizard.StepName) string {
	d, _ := wizard.Describe(n)
	switch {
	case d.RunLabel != "":
		return d.RunLabel
	case mode == wizard.Auto:
		return "Do it for me"
	}
	return "Check"
}

// progressText says what is going on while a step runs.
func progressText(mode wizard.Mode, n wizard.StepName) string {
	d, _ := wizard.Describe(n)
	switch {
	case d.Progress != "":
		return d.Progress
	case mode == wizard.Auto:
		return "Working in Entra…"
	}
	return "Checking what you entered against Entra…"
}

// modeLine names how the setup runs, under the vendor's name.
func modeLine(p wizard.Protocol, mode wizard.Mode, target string) string {
	how := "done by hand, checked by the wizard"
	if mode == wizard.Auto {
		how = "done by the wizard through Microsoft Graph"
	}
	where := "your Entra tenant"
	if target == "harness" {
		where = "the local Entra (harness)"
	}
	return fmt.Sprintf("%s, %s, in %s", strings.ToUpper(string(p)), how, where)
}

// autoInputs are the inputs automatic mode still takes from the person: the rest it
// finds or makes itself.
var autoInputs = map[string]bool{
	wizard.InDomains: true, wizard.InPrincipals: true, wizard.InAssignmentRequired: true, wizard.InTestUser: true,
}

// stepInputs lists the entries a step shows in a mode. Manual mode shows what the
// instructions ask to paste back; automatic mode only what it cannot find itself, and
// the app's name where it makes the app.
func stepInputs(mode wizard.Mode, n wizard.StepName, in []wizard.Input) []wizard.Input {
	if mode != wizard.Auto {
		return in
	}
	d, _ := wizard.Describe(n)
	out := slices.Clone(d.AutoInputs)
	for _, x := range in {
		if autoInputs[x.Key] {
			if x.Key == wizard.InDomains {
				x.Optional = true // the tenant's default domain is taken when empty
			}
			out = append(out, x)
		}
	}
	return out
}

// fieldCheck is the check of wizard/check that fits an input, or nil.
func fieldCheck(key string) func(string) check.Result {
	switch key {
	case wizard.InClientID, wizard.InAppID:
		return check.ClientID
	case wizard.InTenantID:
		return check.TenantID
	case wizard.InClientSecret:
		return func(v string) check.Result { return check.SecretValue(v, nil) }
	case wizard.InDomains:
		return func(v string) check.Result {
			_, rs := check.Domains(v)
			return worst(rs)
		}
	case wizard.InRedirectURI, wizard.InReplyURL:
		return check.ReplyURL
	case wizard.InEntityID:
		return check.EntityID
	case wizard.InFingerprint:
		return func(v string) check.Result {
			_, r := check.Fingerprint(v)
			return r
		}
	}
	return nil
}

// unlessEmpty passes an empty value: an entry not filled in yet is no mistake, and
// the step's own checks name what is missing.
func unlessEmpty(c func(string) check.Result) func(string) check.Result {
	return func(v string) check.Result {
		if strings.TrimSpace(v) == "" {
			return check.Result{Severity: check.OK}
		}
		return c(v)
	}
}

// worst is the first failed Result, else the first warning, else an OK one.
func worst(rs []check.Result) check.Result {
	for _, sev := range []check.Severity{check.Error, check.Warning} {
		for _, r := range rs {
			if r.Severity == sev {
				return r
			}
		}
	}
	return check.Result{Severity: check.OK}
}

// resultText is a check's message with its fix.
func resultText(r check.Result) string {
	if r.Fix == "" {
		return r.Message
	}
	return r.Message + " " + r.Fix
}

func captionLabel(text string) *widget.Label {
	l := wrapLabel(text)
	l.SizeName = theme.SizeNameCaptionText
	return l
}

func monoLabel(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.TextStyle = fyne.TextStyle{Monospace: true}
	l.Wrapping = fyne.TextWrapBreak
	return l
}

func boldLabel(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// stepDetail lays out the step shown.
func (sc *setupScreen) stepDetail() []fyne.CanvasObject {
	sn := sc.snap
	n := sn.shown
	i := slices.Index(sc.names, n)
	d, _ := wizard.Describe(n)
	st := sn.step(n)
	objs := []fyne.CanvasObject{heading(fmt.Sprintf("Step %d of %d: %s", i+1, len(sc.names), n.Title()))}
	for _, p := range sn.instr.Text {
		objs = append(objs, wrapLabel(p))
	}
	if sn.instr.Blade != "" && sc.env.deps.OpenURL != nil {
		u := sn.instr.Blade
		b := widget.NewButtonWithIcon("Open in Entra admin center", theme.ComputerIcon(), func() { sc.onOpenBlade(u) })
		objs = append(objs, container.NewHBox(b))
	}
	if d.View == wizard.ViewEnable && sn.state.Enabled != nil {
		objs = append(objs, sc.connectionSummary()...)
	}
	if len(sn.instr.Copy) > 0 {
		objs = append(objs, boldLabel("Values to copy into Entra"), sc.copyValues(sn.instr.Copy))
	}
	switch d.View {
	case wizard.ViewEnable:
		objs = append(objs, sc.enableChoices(st)...)
	default:
		if ins := stepInputs(sc.sess.Mode(), n, sn.instr.Inputs); len(ins) > 0 {
			objs = append(objs, boldLabel(inputsHeading(sc.sess.Mode(), n)), sc.inputForm(ins, st))
		}
	}
	if st.Error != "" {
		l := wrapLabel(sentence(errors.New(st.Error))) // one sentence, in the window's words
		l.Importance = widget.DangerImportance
		objs = append(objs, l)
	}
	switch d.View {
	case wizard.ViewTestLogin:
		objs = append(objs, sc.testResult(sn.runs)...)
	default:
		objs = append(objs, checkList(st.Checks)...)
	}
	if sn.err != nil {
		l := wrapLabel(sentence(fmt.Errorf("the test logins cannot be read: %w", sn.err)))
		l.Importance = widget.DangerImportance
		objs = append(objs, l)
	}
	return objs
}

// inputsHeading introduces a step's entries.
func inputsHeading(mode wizard.Mode, n wizard.StepName) string {
	d, _ := wizard.Describe(n)
	switch {
	case d.InputsHeading != "":
		return d.InputsHeading
	case mode == wizard.Auto:
		return "Your choices"
	case d.ManualInputsHeading != "":
		return d.ManualInputsHeading
	}
	return "Paste back what Entra shows"
}

// copyValues lists the values to paste into Entra, each with a Copy button.
func (sc *setupScreen) copyValues(cs []wizard.CopyValue) fyne.CanvasObject {
	var objs []fyne.CanvasObject
	for _, c := range cs {
		v := c.Value
		b := sc.env.copyButton("Copy", v)
		objs = append(objs, boldLabel(c.Label), container.NewBorder(nil, nil, nil, container.NewVBox(b), monoLabel(v)))
	}
	return container.New(layout.NewFormLayout(), objs...)
}

// inputForm builds the step's entries, filled from its record, checked as typed, and
// recorded in the session as they change.
func (sc *setupScreen) inputForm(ins []wizard.Input, st wizard.StepState) fyne.CanvasObject {
	var objs []fyne.CanvasObject
	var last *widget.Entry
	for _, in := range ins {
		e, obj := sc.inputEntry(in, st)
		label := in.Label
		if in.Optional {
			label += " (optional)"
		}
		fb := errorLabel()
		sc.feedback[in.Key] = fb
		objs = append(objs, boldLabel(label), container.NewVBox(obj, fb))
		if !e.MultiLine {
			last = e
		}
	}
	if last != nil {
		last.OnSubmitted = func(string) { sc.onRun() }
	}
	return container.New(layout.NewFormLayout(), objs...)
}

// inputEntry makes the entry of an input: the entry, and the object to lay out.
func (sc *setupScreen) inputEntry(in wizard.Input, st wizard.StepState) (*widget.Entry, fyne.CanvasObject) {
	var ke *keyEntry
	switch {
	case in.Secret:
		ke = newKeyEntry(sc.env.win, "password")
	case in.Key == wizard.InMetadataXML:
		ke = newKeyEntry(sc.env.win, "multiline")
	default:
		ke = newKeyEntry(sc.env.win, "line")
	}
	e := &ke.Entry
	switch {
	case in.Key == wizard.InMetadataXML:
		e.SetMinRowsVisible(5)
		e.TextStyle = fyne.TextStyle{Monospace: true}
		e.Wrapping = fyne.TextWrapBreak
	}
	hint := in.Hint
	if sec := sc.snap.state.Secret; in.Secret && sec != nil && sec.Kept != "" {
		hint = fmt.Sprintf("%s… is kept %s; paste the Value again to replace it", sec.Hint, keptWhere(sec.Kept))
	}
	e.SetPlaceHolder(hint)
	if v := st.Inputs[in.Key]; v != "" {
		e.SetText(v)
	} else if in.Key == wizard.InAppName {
		e.SetText(sc.sess.Ticket.DisplayName())
	}
	c := fieldCheck(in.Key)
	if c != nil {
		c = unlessEmpty(c)
		e.Validator = check.Validator(c)
	}
	key := in.Key
	e.OnChanged = func(v string) {
		if c != nil {
			sc.showFeedback(key, c(v))
		}
		sc.setInput(key, v)
	}
	sc.entries[key] = e
	sc.controls = append(sc.controls, e)
	if sc.firstEntry == nil {
		sc.firstEntry = ke
	}
	return e, ke
}

// showFeedback shows an entry's check under it: an error or a warning; nothing when
// the value passes.
func (sc *setupScreen) showFeedback(key string, r check.Result) {
	fb := sc.feedback[key]
	if fb == nil {
		return
	}
	if r.Severity == check.OK {
		fb.Hide()
		return
	}
	fb.Importance = widget.DangerImportance
	if r.Severity == check.Warning {
		fb.Importance = widget.WarningImportance
	}
	fb.SetText(resultText(r))
	fb.Show()
}

// checkList shows a step's checks: an icon by severity, what was found, what to do,
// and the detail (a character-level difference) in monospace.
func checkList(rs []check.Result) []fyne.CanvasObject {
	if len(rs) == 0 {
		return nil
	}
	var objs []fyne.CanvasObject
	for _, r := range rs {
		if strings.TrimSpace(r.Message) == "" && r.Severity != check.Error && r.Severity != check.Warning {
			continue // nothing was checked (a step stopped before its checks): no empty green tick
		}
		objs = append(objs, resultRow(severityIcon(r.Severity), r.Message, r.Fix, r.Detail))
	}
	if len(objs) == 0 {
		return nil
	}
	return append([]fyne.CanvasObject{boldLabel("Checks")}, objs...)
}

// resultRow is one check or finding: icon, message, fix and detail.
func resultRow(icon fyne.Resource, message, fix, detail string) fyne.CanvasObject {
	body := container.NewVBox(wrapLabel(windowWords(message)))
	if fix != "" {
		body.Add(wrapLabel("Fix: " + windowWords(fix)))
	}
	if detail != "" {
		body.Add(monoLabel(detail))
	}
	return container.NewBorder(nil, nil, container.NewVBox(widget.NewIcon(icon)), nil, body)
}

// Enable.

// loginMethodLabels names the vendor's login methods for people.
var loginMethodLabels = map[string]string{
	wizard.LoginPassword: "Password only",
	wizard.LoginSSO:      "SSO only",
	wizard.LoginBoth:     "Password and SSO",
}

// enableForm holds the choices of the Enable step.
type enableForm struct {
	methods        *widget.RadioGroup
	role           *widget.Select
	autoMembership *widget.Check
	jit            *widget.Check
	enforce        *widget.Check
	breakGlass     *widget.Check
	override       *widget.Entry
	removeLoopback *widget.Check
}

// loginMethods lists the methods the vendor offers (all three when the ticket says
// none), and the one chosen by default: both when offered, as the engine chooses.
func loginMethods(t *wizard.Ticket) (offered []string, def string) {
	offered = t.LoginMethods
	if len(offered) == 0 {
		offered = []string{wizard.LoginPassword, wizard.LoginSSO, wizard.LoginBoth}
	}
	def = offered[0]
	if slices.Contains(offered, wizard.LoginBoth) {
		def = wizard.LoginBoth
	}
	return offered, def
}

// lastTestPassed reports whether the most recent test login passed.
func lastTestPassed(runs []wizard.TestRun) bool {
	return len(runs) > 0 && runs[len(runs)-1].OK
}

func isYes(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "y", "true", "on", "1":
		return true
	}
	return false
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// enableChoices builds the Enable step's choices as widgets, filled from its record;
// the defaults shown are recorded as chosen.
func (sc *setupScreen) enableChoices(st wizard.StepState) []fyne.CanvasObject {
	t := sc.sess.Ticket
	in := st.Inputs
	f := &enableForm{}
	sc.enable = f
	var objs []fyne.CanvasObject

	offered, def := loginMethods(t)
	var labels []string
	for _, m := range offered {
		labels = append(labels, loginMethodLabels[m])
	}
	chosen := in[wizard.InLoginMethods]
	if chosen == "" {
		chosen = def
		sc.setInput(wizard.InLoginMethods, chosen)
	}
	f.methods = widget.NewRadioGroup(labels, nil)
	f.methods.SetSelected(loginMethodLabels[chosen])
	f.methods.Required = true
	f.methods.OnChanged = func(label string) {
		for m, l := range loginMethodLabels {
			if l == label {
				sc.setInput(wizard.InLoginMethods, m)
			}
		}
	}
	objs = append(objs, boldLabel("How users sign in to "+t.Vendor), f.methods)
	sc.controls = append(sc.controls, f.methods)

	if len(t.Roles) > 0 {
		role := in[wizard.InDefaultRole]
		if role == "" && t.DefaultRole != "" {
			role = t.DefaultRole
			sc.setInput(wizard.InDefaultRole, role)
		}
		f.role = widget.NewSelect(t.Roles, nil)
		f.role.SetSelected(role)
		f.role.OnChanged = func(v string) { sc.setInput(wizard.InDefaultRole, v) }
		objs = append(objs, boldLabel("Role of new users"), f.role)
		sc.controls = append(sc.controls, f.role)
	}

	toggle := func(key, label string) *widget.Check {
		c := widget.NewCheck(label, nil)
		c.SetChecked(isYes(in[key]))
		c.OnChanged = func(b bool) { sc.setInput(key, yesNo(b)) }
		sc.controls = append(sc.controls, c)
		return c
	}
	domains := "your domains"
	if ds := sc.snap.state.Domains; len(ds) > 0 {
		domains = strings.Join(ds, ", ")
	}
	f.autoMembership = toggle(wizard.InAutoMembership, "Add users who sign in by SSO to the account automatically (auto-membership)")
	f.jit = toggle(wizard.InJIT, "Create a user at their first SSO sign-in (just-in-time provisioning)")
	f.enforce = toggle(wizard.InEnforceDomain, "Require SSO for everyone at "+domains+" (SSO domain enforcement)")
	objs = append(objs, boldLabel("Vendor settings"), f.autoMembership, f.jit, f.enforce)

	f.breakGlass = toggle(wizard.InBreakGlassAck, "I keep one administrator who signs in with a password (a break-glass account)")
	objs = append(objs, boldLabel("Break-glass account"),
		warnLabel("With SSO only, or SSO required for your domains, an Entra outage or a wrong setting locks every user out, administrators included. "+
			"Keep one "+t.Vendor+" administrator who can still sign in with a password."),
		f.breakGlass)

	if !lastTestPassed(sc.snap.runs) {
		f.override = widget.NewEntry()
		f.override.SetPlaceHolder("Why SSO must be enabled before a test login passes")
		f.override.SetText(in[wizard.InOverride])
		f.override.OnChanged = func(v string) { sc.setInput(wizard.InOverride, v) }
		f.override.OnSubmitted = func(string) { sc.onRun() }
		sc.entries[wizard.InOverride] = f.override
		sc.controls = append(sc.controls, f.override)
		objs = append(objs, boldLabel("Enable without a passing test login"),
			warnLabel("The last test login did not pass, or none was run: users may be unable to sign in. Give a reason to enable anyway; it is recorded."),
			f.override)
	}
	if lb := sc.snap.state.Loopback; len(lb) > 0 {
		f.removeLoopback = toggle(wizard.InRemoveLoopback, "Remove the test login's loopback URL ("+strings.Join(lb, ", ")+") from the app")
		objs = append(objs, boldLabel("After the test"), f.removeLoopback)
	}
	return objs
}

// connectionSummary shows what was set up, and the exports, once SSO is enabled.
func (sc *setupScreen) connectionSummary() []fyne.CanvasObject {
	rows := connectionRows(sc.snap.state, sc.sess.Protocol(), sc.env.now())
	var cells []fyne.CanvasObject
	for _, r := range rows {
		v := r.Value
		b := sc.env.copyButton("", v)
		cells = append(cells, boldLabel(r.Label), container.NewBorder(nil, nil, nil, container.NewVBox(b), wrapLabel(v)))
	}
	conn := widget.NewButtonWithIcon("Export connection bundle…", theme.DocumentSaveIcon(), sc.onConnectionBundle)
	conn.Importance = widget.HighImportance
	ev := widget.NewButtonWithIcon("Export evidence bundle…", theme.DocumentSaveIcon(), sc.onEvidenceBundle)
	cal := widget.NewButtonWithIcon("Add expiry reminders to calendar…", theme.HistoryIcon(), sc.onReminders)
	if len(sc.snap.state.Reminders) == 0 {
		cal.Disable()
	}
	sc.exports = []*widget.Button{conn, ev, cal}
	return []fyne.CanvasObject{
		banner("SSO with "+sc.sess.Ticket.Vendor+" is enabled", levelOK),
		container.New(layout.NewFormLayout(), cells...),
		container.NewHBox(conn, ev, cal),
		captionLabel("The connection bundle is what " + sc.sess.Ticket.Vendor + " needs, without the client secret; the evidence bundle is for support, with every secret left out."),
		widget.NewSeparator(),
	}
}

// connectionRows lists what a finished setup established, in the order the vendor's
// form asks for it.
func connectionRows(st wizard.State, p wizard.Protocol, now time.Time) []row {
	var rows []row
	add := func(label, value string) {
		if value != "" {
			rows = append(rows, row{label, value})
		}
	}
	tenant := st.TenantID
	if st.TenantName != "" && tenant != "" {
		tenant = st.TenantName + " (" + st.TenantID + ")"
	}
	add("Tenant", tenant)
	if p == wizard.SAML {
		add("Application ID", st.App.AppID)
		add("Identifier (Entity ID)", st.EntityID)
		add("Reply URL", st.ReplyURL)
		add("Relay state", st.RelayState)
		if m := st.Metadata; m != nil {
			add("Metadata URL", m.URL)
			add("Microsoft Entra Identifier", m.Issuer)
			add("Login URL", m.SSOURL)
			for _, c := range m.Certificates {
				add("Signing certificate", fmt.Sprintf("%s\n%s", c.Thumbprint, check.Expiry("certificate", c.NotAfter, now).Message))
			}
		}
	} else {
		add("Client ID", st.App.AppID)
		add("Redirect URIs", strings.Join(st.RedirectURIs, "\n"))
		if s := st.Secret; s != nil {
			v := s.Hint + "…"
			if s.Kept != "" {
				v += ", kept " + keptWhere(s.Kept)
			}
			if s.KeyID != "" {
				v += ", Secret ID " + s.KeyID
			}
			add("Client secret", v+"\n"+check.Expiry("client secret", s.End, now).Message)
		}
	}
	add("Domains", strings.Join(st.Domains, ", "))
	if e := st.Enabled; e != nil {
		v := fmt.Sprintf("login methods %s; default role %s; auto-membership %s; just-in-time provisioning %s; SSO required for the domains %s",
			strings.ToLower(loginMethodLabels[e.LoginMethods]), orNone(e.DefaultRole), onOff(e.AutoMembership), onOff(e.JIT), onOff(e.EnforceDomain))
		if e.Override != "" {
			v += "; enabled without a passing test: " + e.Override
		}
		add("Enabled "+e.At.UTC().Format("2006-01-02 15:04 UTC"), v)
	}
	return rows
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// keptWhere says where the client secret's value is kept, after "kept".
func keptWhere(kind string) string {
	if kind == "memory" {
		return "in memory only (asked again after a restart)"
	}
	return "in the " + kind
}
