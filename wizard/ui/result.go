package ui

import (
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssowizard/ssowizard/inspect"
	"github.com/ssowizard/ssowizard/wizard"
)

// claimChange is a claim whose values differ between two test logins; Before or
// After is nil when the claim was missing then.
type claimChange struct {
	Name          string
	Before, After []string
}

// runChanges is what changed in a test login since an earlier one.
type runChanges struct {
	// Added and Removed are the findings one login has and the other has not, by code.
	Added, Removed []inspect.Finding
	Claims         []claimChange
}

func (c runChanges) empty() bool {
	return len(c.Added) == 0 && len(c.Removed) == 0 && len(c.Claims) == 0
}

// volatileClaims change at every sign-in (times, nonces, opaque session data), so a
// difference in them says nothing about the setup.
var volatileClaims = map[string]bool{
	"iat": true, "nbf": true, "exp": true, "auth_time": true, "nonce": true, "aio": true, "rh": true,
	"uti": true, "sid": true, "jti": true, "c_hash": true, "at_hash": true,
}

// claimName is how a claim is named to people: its friendly name, else its full one.
func claimName(c inspect.Claim) string {
	if c.Friendly != "" {
		return c.Friendly
	}
	return c.Name
}

// diffRuns says what changed from the test login before to the one after: findings
// that appeared or went (by code), and claims whose values differ, in the order the
// later login has them and then those it lost. Values are compared as sets; claims
// that change at every sign-in are left out.
func diffRuns(before, after wizard.TestRun) runChanges {
	var out runChanges
	has := func(fs []inspect.Finding, code string) bool {
		return slices.ContainsFunc(fs, func(f inspect.Finding) bool { return f.Code == code })
	}
	for _, f := range after.Findings {
		if !has(before.Findings, f.Code) && !has(out.Added, f.Code) {
			out.Added = append(out.Added, f)
		}
	}
	for _, f := range before.Findings {
		if !has(after.Findings, f.Code) && !has(out.Removed, f.Code) {
			out.Removed = append(out.Removed, f)
		}
	}
	key := func(c inspect.Claim) string {
		if c.Name != "" {
			return c.Name
		}
		return c.Friendly
	}
	values := func(cs []inspect.Claim) map[string][]string {
		m := map[string][]string{}
		for _, c := range cs {
			m[key(c)] = append(m[key(c)], c.Values...)
		}
		return m
	}
	was, now := values(before.Claims), values(after.Claims)
	seen := map[string]bool{}
	note := func(c inspect.Claim) {
		k := key(c)
		if seen[k] || volatileClaims[strings.ToLower(c.Friendly)] || volatileClaims[strings.ToLower(c.Name)] {
			return
		}
		seen[k] = true
		b, inBefore := was[k]
		a, inAfter := now[k]
		if inBefore && inAfter && sameSet(b, a) {
			return
		}
		out.Claims = append(out.Claims, claimChange{Name: claimName(c), Before: b, After: a})
	}
	for _, c := range after.Claims {
		note(c)
	}
	for _, c := range before.Claims {
		note(c)
	}
	return out
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

// lastGoodBefore is the index of the last passing test login before runs[i], or -1.
func lastGoodBefore(runs []wizard.TestRun, i int) int {
	for j := min(i, len(runs)) - 1; j >= 0; j-- {
		if runs[j].OK {
			return j
		}
	}
	return -1
}

// runHeadline is a test login's verdict in a few words.
func runHeadline(r wizard.TestRun) string {
	switch {
	case r.OK && r.User != "":
		return fmt.Sprintf("Test login %d passed as %s", r.ID, r.User)
	case r.OK:
		return fmt.Sprintf("Test login %d passed", r.ID)
	case r.AADSTS != nil:
		return fmt.Sprintf("Test login %d failed: Entra answered %s", r.ID, r.AADSTS.Code)
	}
	return fmt.Sprintf("Test login %d failed", r.ID)
}

// runLevel colours a test login: failed, passed with warnings, or passed.
func runLevel(r wizard.TestRun) level {
	if !r.OK {
		return levelError
	}
	for _, f := range r.Findings {
		if f.Severity == inspect.SeverityWarning {
			return levelWarning
		}
	}
	return levelOK
}

func findingIcon(s inspect.Severity) fyne.Resource {
	switch s {
	case inspect.SeverityError:
		return theme.NewErrorThemedResource(theme.ErrorIcon())
	case inspect.SeverityWarning:
		return theme.NewWarningThemedResource(theme.WarningIcon())
	}
	return theme.InfoIcon()
}

func runTime(r wizard.TestRun) string { return r.Started.UTC().Format("2006-01-02 15:04 UTC") }

func passed(ok bool) string {
	if ok {
		return "passed"
	}
	return "failed"
}

// testResult shows the latest test login: verdict, findings with their fixes, the
// claims, the raw answer, what changed since the last good login, and the earlier ones.
func (sc *setupScreen) testResult(runs []wizard.TestRun) []fyne.CanvasObject {
	if len(runs) == 0 {
		return nil
	}
	last := runs[len(runs)-1]
	objs := []fyne.CanvasObject{banner(runHeadline(last), runLevel(last))}
	about := fmt.Sprintf("At %s against %s", runTime(last), targetName(last.Target))
	if len(last.Scenarios) > 0 {
		about += " with the scenarios " + strings.Join(last.Scenarios, ", ")
	}
	if last.Duration > 0 {
		about += fmt.Sprintf(", in %.1f s", last.Duration.Seconds())
	}
	objs = append(objs, captionLabel(about+"."))
	if last.Error != "" {
		l := wrapLabel(last.Error)
		l.Importance = widget.DangerImportance
		objs = append(objs, l)
	}
	if a := last.AADSTS; a != nil {
		objs = append(objs, resultRow(theme.NewErrorThemedResource(theme.ErrorIcon()), a.Code+": "+a.Meaning, a.Fix, ""))
	}
	if len(last.Findings) > 0 {
		objs = append(objs, boldLabel(fmt.Sprintf("Findings (%d)", len(last.Findings))))
		for _, f := range last.Findings {
			objs = append(objs, resultRow(findingIcon(f.Severity), f.Message, f.Fix, ""))
		}
	}
	if len(last.Claims) > 0 {
		objs = append(objs, boldLabel(fmt.Sprintf("Claims (%d)", len(last.Claims))), sc.claimTable(last.Claims))
	}
	if a := last.Artifact; a != nil && a.Value != "" {
		acc := widget.NewAccordion(widget.NewAccordionItem("Raw answer ("+a.Kind+", redacted so it cannot be replayed)", monoLabel(a.Value)))
		objs = append(objs, acc)
	}
	if len(runs) > 1 {
		objs = append(objs, changesSince(runs)...)
		objs = append(objs, history(runs[:len(runs)-1])...)
	}
	return objs
}

// claimTable lists claims: the friendly name (with the full name and what it means),
// and each value with its own Copy button.
func (sc *setupScreen) claimTable(cs []inspect.Claim) fyne.CanvasObject {
	objs := []fyne.CanvasObject{boldLabel("Claim"), boldLabel("Values")}
	for _, c := range cs {
		name := container.NewVBox(boldLabel(claimName(c)))
		if c.Name != "" && c.Name != claimName(c) {
			name.Add(captionLabel(c.Name))
		}
		if c.About != "" {
			name.Add(captionLabel(c.About))
		}
		vals := container.NewVBox()
		for _, v := range c.Values {
			b := sc.env.copyButton("", v)
			vals.Add(container.NewBorder(nil, nil, nil, b, wrapLabel(v)))
		}
		objs = append(objs, name, vals)
	}
	return container.New(newColumnsLayout(0.35, 0.65), objs...)
}

// changesSince shows what changed in the latest test login since the last one that
// passed before it.
func changesSince(runs []wizard.TestRun) []fyne.CanvasObject {
	i := len(runs) - 1
	base := lastGoodBefore(runs, i)
	objs := []fyne.CanvasObject{boldLabel("What changed since the last good run")}
	if base < 0 {
		return append(objs, wrapLabel("No earlier test login passed, so there is nothing to compare with."))
	}
	b := runs[base]
	ch := diffRuns(b, runs[i])
	objs = append(objs, captionLabel(fmt.Sprintf("Compared with test login %d at %s, as %s.", b.ID, runTime(b), orUnknown(b.User))))
	if ch.empty() {
		return append(objs, wrapLabel("Nothing: the same findings and the same claims."))
	}
	for _, f := range ch.Added {
		objs = append(objs, resultRow(findingIcon(f.Severity), "New: "+f.Message, f.Fix, ""))
	}
	for _, f := range ch.Removed {
		objs = append(objs, resultRow(theme.NewSuccessThemedResource(theme.ConfirmIcon()), "Gone: "+f.Message, "", ""))
	}
	if len(ch.Claims) > 0 {
		cells := []fyne.CanvasObject{boldLabel("Claim"), boldLabel("Then"), boldLabel("Now")}
		for _, c := range ch.Claims {
			cells = append(cells, wrapLabel(c.Name), wrapLabel(valuesText(c.Before)), wrapLabel(valuesText(c.After)))
		}
		objs = append(objs, container.New(newColumnsLayout(0.3, 0.35, 0.35), cells...))
	}
	return objs
}

func valuesText(vs []string) string {
	if vs == nil {
		return "(missing)"
	}
	return strings.Join(vs, "\n")
}

// history lists earlier test logins, the most recent first.
func history(runs []wizard.TestRun) []fyne.CanvasObject {
	cells := []fyne.CanvasObject{boldLabel("Run"), boldLabel("When"), boldLabel("Result"), boldLabel("User"), boldLabel("Verdict")}
	for _, r := range slices.Backward(runs) {
		res := wrapLabel(passed(r.OK))
		res.Importance = importance(runLevel(r))
		cells = append(cells, wrapLabel(fmt.Sprint(r.ID)), wrapLabel(runTime(r)), res, wrapLabel(orUnknown(r.User)), wrapLabel(r.Verdict))
	}
	return []fyne.CanvasObject{
		boldLabel(fmt.Sprintf("Earlier test logins (%d)", len(runs))),
		container.New(newColumnsLayout(0.08, 0.27, 0.13, 0.34, 0.18), cells...),
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
