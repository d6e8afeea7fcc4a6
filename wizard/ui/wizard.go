package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssowizard/ssowizard/wizard"
)

// actionTimeout bounds the quick actions (moving between steps, loading a session,
// building a bundle); a step's Run has no bound but its Cancel button.
const actionTimeout = 30 * time.Second

// setupIntro is the Setup tab's introduction.
const setupIntro = "Connect your Entra tenant to the vendor by single sign-on, one step at a time. " +
	"Each step is checked before you go on; the test login proves the connection before it is enabled."

func targetName(n string) string {
	if n == "harness" {
		return "the local Entra"
	}
	return "Entra"
}

// snapshot is what the screen shows of a session, read off the UI goroutine: a Run
// holds the session's lock for as long as it takes, so the UI never reads the session
// itself.
type snapshot struct {
	shown   wizard.StepName
	current wizard.StepName
	status  string
	steps   []wizard.StepState
	state   wizard.State
	instr   wizard.Instructions
	runs    []wizard.TestRun
	// err is why the test logins could not be read.
	err error
}

func takeSnapshot(ctx context.Context, s *wizard.Session, shown wizard.StepName) snapshot {
	sn := snapshot{current: s.Current(), status: s.Status(), steps: s.Steps(), state: s.State()}
	if shown == "" {
		shown = sn.current
	}
	sn.shown = shown
	sn.instr = s.Instructions(shown)
	sn.runs, sn.err = s.TestRuns(ctx)
	return sn
}

// step is the record of a step in the snapshot.
func (sn snapshot) step(n wizard.StepName) wizard.StepState {
	for _, st := range sn.steps {
		if st.Name == n {
			return st
		}
	}
	return wizard.StepState{Name: n, Status: wizard.NotStarted}
}

// firstOpen is the index of the first step not verified, or -1.
func (sn snapshot) firstOpen() int {
	return slices.IndexFunc(sn.steps, func(st wizard.StepState) bool { return st.Status != wizard.Verified })
}

// reachable reports whether the session can go to step i: any step up to the first
// one not verified.
func (sn snapshot) reachable(i int) bool {
	first := sn.firstOpen()
	return first < 0 || i <= first
}

// setupScreen is one setup: the steps on the left, the step shown on the right with
// its instructions, the values to copy, the inputs, the checks and the actions.
type setupScreen struct {
	env    *env
	sess   *wizard.Session
	target *wizard.Target
	names  []wizard.StepName

	snap   snapshot
	loaded bool
	// busy is set while an action runs off the UI goroutine; the session is then not
	// touched from the UI goroutine, and the controls are disabled.
	busy bool
	// running is the step whose Run is in flight, or "".
	running wizard.StepName
	cancel  context.CancelFunc
	// note is the outcome of the last action that the step's record does not hold.
	note    string
	noteImp widget.Importance

	steps     map[wizard.StepName]*stepRow
	detail    *fyne.Container
	scroll    *container.Scroll
	backBtn   *widget.Button
	runBtn    *widget.Button
	nextBtn   *widget.Button
	buttons   *fyne.Container
	cancelBtn *widget.Button
	// progress is the animated bar while a Run is in flight, in progressBox; nil
	// otherwise (see showProgress).
	progress    *widget.ProgressBarInfinite
	progressBox *fyne.Container
	waiting     *widget.Label
	noteLabel   *widget.Label

	// Rebuilt with each render of the detail.
	entries  map[string]*widget.Entry
	feedback map[string]*widget.Label
	controls []fyne.Disableable
	enable   *enableForm
	exports  []*widget.Button
	// firstEntry is the step's first field, focused when the step opens; focusedStep
	// is the step it was last done for.
	firstEntry  *keyEntry
	focusedStep wizard.StepName

	// save writes an export where the person chooses: a file save dialog. Tests
	// replace it. done reports where it went, or why it did not.
	save func(name string, data []byte, done func(where string, err error))
}

// stepRow is one step in the list.
type stepRow struct {
	btn    *widget.Button
	icon   *widget.Icon
	status *widget.Label
}

// newSetupScreen makes the screen for a session already opened and its target: view
// builds it, reload reads the session (off the UI goroutine) and shows it.
func newSetupScreen(e *env, s *wizard.Session, t *wizard.Target) *setupScreen {
	sc := &setupScreen{env: e, sess: s, target: t, names: s.StepNames(), steps: map[wizard.StepName]*stepRow{}}
	sc.save = sc.saveWithDialog
	return sc
}

// view builds the screen; reload then reads the session into it.
func (sc *setupScreen) view() fyne.CanvasObject {
	list := container.NewVBox(heading(sc.sess.Ticket.Vendor), captionLabel(modeLine(sc.sess.Protocol(), sc.sess.Mode(), sc.sess.TargetName())))
	for i, n := range sc.names {
		r := &stepRow{icon: widget.NewIcon(statusIcon(wizard.NotStarted)), status: captionLabel("")}
		btn := newEnterButton(fmt.Sprintf("%d. %s", i+1, n.Title()), nil, func() { sc.onStep(n) })
		r.btn = &btn.Button
		r.btn.Alignment = widget.ButtonAlignLeading
		r.btn.Importance = widget.LowImportance
		r.btn.Disable()
		sc.steps[n] = r
		list.Add(container.NewBorder(nil, nil, container.NewVBox(r.icon), nil, container.NewVBox(btn, r.status)))
	}

	back := newEnterButton("Back", theme.NavigateBackIcon(), sc.onBack)
	run := newEnterButton(runLabel(sc.sess.Mode(), ""), theme.ConfirmIcon(), sc.onRun)
	next := newEnterButton("Next", theme.NavigateNextIcon(), sc.onNext)
	cancel := newEnterButton("Cancel", theme.CancelIcon(), sc.onCancel)
	sc.backBtn, sc.runBtn, sc.nextBtn, sc.cancelBtn = &back.Button, &run.Button, &next.Button, &cancel.Button
	sc.runBtn.Importance = widget.HighImportance
	sc.nextBtn.IconPlacement = widget.ButtonIconTrailingText
	sc.cancelBtn.Hide()
	sc.progressBox = container.NewStack()
	sc.waiting = wrapLabel("")
	sc.waiting.Hide()
	sc.noteLabel = wrapLabel("")
	sc.noteLabel.Hide()
	for _, b := range []*widget.Button{sc.backBtn, sc.runBtn, sc.nextBtn} {
		b.Disable()
	}
	sc.buttons = container.NewHBox(back, run, next)
	actions := container.NewVBox(
		widget.NewSeparator(),
		sc.noteLabel,
		sc.waiting,
		container.NewBorder(nil, nil, nil, cancel, sc.progressBox),
		sc.buttons,
	)
	sc.detail = container.NewVBox(wrapLabel("Reading the setup…"))
	sc.scroll = container.NewVScroll(sc.detail)
	right := container.NewBorder(nil, actions, nil, nil, sc.scroll)
	split := container.NewHSplit(container.NewVScroll(list), right)
	split.Offset = 0.24
	return split
}

// reload reads the session again, off the UI goroutine, and shows its current step.
// Call it once the view is in the window, and whenever something else changed the
// session.
func (sc *setupScreen) reload() {
	sc.act(actionSpec{}, nil)
}

// actionSpec says how an action shows while it runs.
type actionSpec struct {
	// run is the step whose Run this is: the progress bar and Cancel show.
	run wizard.StepName
	// show is the step to show afterwards; "" shows the session's current step.
	show wizard.StepName
}

// act runs work off the UI goroutine with the screen busy, then reads the session
// again and shows it. work's error is shown as a sentence (a failed move shows the
// session's current step); then, when not nil, runs on the UI goroutine after the
// screen is shown.
func (sc *setupScreen) act(spec actionSpec, work func(ctx context.Context) (then func(), err error)) {
	if sc.busy {
		return
	}
	var ctx context.Context
	var cancel context.CancelFunc
	if spec.run != "" {
		ctx, cancel = context.WithCancel(context.Background())
		sc.cancel = cancel
		sc.running = spec.run
	} else {
		ctx, cancel = context.WithTimeout(context.Background(), actionTimeout)
	}
	sc.setBusy(true)
	sess := sc.sess
	sc.env.async(func() func() {
		defer cancel()
		var then func()
		var err error
		if work != nil {
			then, err = work(ctx)
		}
		show := spec.show
		if err != nil && spec.run == "" {
			show = "" // the move failed: show where the session is
		}
		rctx, rcancel := context.WithTimeout(context.Background(), actionTimeout)
		defer rcancel()
		snap := takeSnapshot(rctx, sess, show)
		return func() {
			sc.cancel = nil
			sc.running = ""
			sc.busy = false
			if spec.run != "" {
				sc.env.closeSignIn() // signed in, cancelled or failed: the code is of no use now
			}
			sc.note, sc.noteImp = "", widget.MediumImportance
			if err != nil {
				sc.note, sc.noteImp = sentence(err), widget.DangerImportance
			}
			sc.snap, sc.loaded = snap, true
			sc.render()
			if then != nil {
				then()
			}
		}
	})
}

// setBusy disables what would touch the session while an action runs.
func (sc *setupScreen) setBusy(b bool) {
	sc.busy = b
	for _, c := range sc.controls {
		if b {
			c.Disable()
		} else {
			c.Enable()
		}
	}
	sc.updateActions()
	sc.updateSteps()
}

// onStep goes to a step of the list.
func (sc *setupScreen) onStep(n wizard.StepName) {
	sess := sc.sess
	sc.act(actionSpec{show: n}, func(ctx context.Context) (func(), error) {
		return nil, sess.GoTo(ctx, n)
	})
}

// onBack goes to the step before the one shown, keeping every input.
func (sc *setupScreen) onBack() {
	i := slices.Index(sc.names, sc.snap.shown)
	if i <= 0 {
		return
	}
	sc.onStep(sc.names[i-1])
}

// onNext goes to the first step not verified.
func (sc *setupScreen) onNext() {
	sess := sc.sess
	sc.act(actionSpec{}, func(ctx context.Context) (func(), error) {
		return nil, sess.Next(ctx)
	})
}

// onRun carries out or checks the step shown, and shows its record afterwards.
func (sc *setupScreen) onRun() {
	if sc.busy || !sc.loaded {
		return
	}
	n := sc.snap.shown
	sess, t := sc.sess, sc.target
	sc.act(actionSpec{run: n, show: n}, func(ctx context.Context) (func(), error) {
		_, err := sess.Run(ctx, t, n)
		return nil, err
	})
}

// onCancel ends the Run in flight; the step records that it was cancelled.
func (sc *setupScreen) onCancel() {
	if sc.cancel != nil {
		sc.cancelBtn.Disable()
		sc.cancel() // last: the Run's result may be shown at once
	}
}

// updateActions sets the buttons and the progress line for the step shown.
func (sc *setupScreen) updateActions() {
	if sc.runBtn == nil {
		return
	}
	n := sc.snap.shown
	sc.runBtn.SetText(runLabel(sc.sess.Mode(), n))
	i := slices.Index(sc.names, n)
	st := sc.snap.step(n)
	set := func(b *widget.Button, on bool) {
		if on {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	idle := !sc.busy && sc.loaded
	set(sc.backBtn, idle && i > 0)
	set(sc.runBtn, idle && i >= 0 && sc.snap.reachable(i))
	last := i == len(sc.names)-1
	set(sc.nextBtn, idle && st.Status == wizard.Verified && !last)
	// Once the step is verified, going on is what is left to do: Next is the primary
	// button, and running the step again is not.
	sc.runBtn.Importance, sc.nextBtn.Importance = widget.HighImportance, widget.MediumImportance
	if st.Status == wizard.Verified {
		sc.runBtn.Importance = widget.MediumImportance
		if !last {
			sc.nextBtn.Importance = widget.HighImportance
		}
	}
	if last {
		sc.nextBtn.Hide()
	} else {
		sc.nextBtn.Show()
	}
	if sc.running != "" {
		sc.waiting.SetText(progressText(sc.sess.Mode(), sc.running))
		sc.waiting.Show()
		sc.showProgress(true)
		sc.cancelBtn.Enable()
		sc.cancelBtn.Show()
	} else {
		sc.waiting.Hide()
		sc.showProgress(false)
		sc.cancelBtn.Hide()
	}
	sc.buttons.Refresh() // the Run button's text changes with the step
	if sc.note != "" {
		sc.noteLabel.Importance = sc.noteImp
		sc.noteLabel.SetText(sc.note)
		sc.noteLabel.Show()
	} else {
		sc.noteLabel.Hide()
	}
}

// updateSteps shows each step's status in the list.
func (sc *setupScreen) updateSteps() {
	for i, n := range sc.names {
		r := sc.steps[n]
		if r == nil {
			continue
		}
		st := sc.snap.step(n)
		r.icon.SetResource(statusIcon(st.Status))
		r.status.SetText(statusText(st, sc.running == n))
		if n == sc.snap.shown && sc.loaded {
			r.btn.Importance = widget.HighImportance
		} else {
			r.btn.Importance = widget.LowImportance
		}
		if sc.loaded && !sc.busy && sc.snap.reachable(i) {
			r.btn.Enable()
		} else {
			r.btn.Disable()
		}
		r.btn.Refresh()
	}
}

// render shows the snapshot: the list, the step shown, the actions.
func (sc *setupScreen) render() {
	sc.entries, sc.feedback, sc.controls, sc.enable, sc.exports = map[string]*widget.Entry{}, map[string]*widget.Label{}, nil, nil, nil
	sc.firstEntry = nil
	sc.detail.Objects = sc.stepDetail()
	// A wrapping label knows its height only once it has its width: lay out twice.
	sc.detail.Refresh()
	sc.detail.Refresh()
	sc.scroll.ScrollToTop()
	sc.updateSteps()
	sc.updateActions()
	// A step just opened: its first field takes the keyboard.
	if sc.snap.shown != sc.focusedStep {
		sc.focusedStep = sc.snap.shown
		if sc.firstEntry != nil && !sc.firstEntry.Disabled() && sc.env.win != nil {
			sc.env.win.Canvas().Focus(sc.firstEntry)
		}
	}
}

// setInput records what the person typed or chose. It is called on the UI goroutine
// only while no action runs (the controls are disabled then).
func (sc *setupScreen) setInput(key, value string) {
	if sc.busy {
		return
	}
	if err := sc.sess.SetInput(sc.snap.shown, key, value); err != nil {
		sc.note, sc.noteImp = sentence(err), widget.DangerImportance
		sc.updateActions()
	}
}

// Exports.

// onExport builds an export off the UI goroutine and hands it to save.
func (sc *setupScreen) onExport(name string, build func(ctx context.Context) ([]byte, error)) {
	sc.act(actionSpec{show: sc.snap.shown}, func(ctx context.Context) (func(), error) {
		b, err := build(ctx)
		if err != nil {
			return nil, err
		}
		return func() {
			sc.save(name, b, func(where string, err error) {
				switch {
				case err != nil:
					sc.note, sc.noteImp = sentence(fmt.Errorf("saving %s failed: %w", name, err)), widget.DangerImportance
				case where == "":
					return // the person cancelled
				default:
					sc.note, sc.noteImp = "Saved "+where+".", widget.SuccessImportance
				}
				sc.updateActions()
			})
		}, nil
	})
}

func (sc *setupScreen) onConnectionBundle() {
	sess := sc.sess
	sc.onExport(fileStem(sess.Ticket.Vendor)+"-connection.json", func(ctx context.Context) ([]byte, error) {
		c, err := sess.ConnectionBundle(ctx, false)
		if err != nil {
			return nil, err
		}
		return jsonIndent(c)
	})
}

func (sc *setupScreen) onEvidenceBundle() {
	sess := sc.sess
	sc.onExport(fileStem(sess.Ticket.Vendor)+"-evidence.json", func(ctx context.Context) ([]byte, error) {
		ev, err := sess.EvidenceBundle(ctx)
		if err != nil {
			return nil, err
		}
		return jsonIndent(ev)
	})
}

func (sc *setupScreen) onReminders() {
	sess := sc.sess
	sc.onExport(fileStem(sess.Ticket.Vendor)+"-expiry-reminders.ics", func(context.Context) ([]byte, error) {
		if len(sess.State().Reminders) == 0 {
			return nil, errors.New("there is no expiry date to be reminded of: record the client secret's or certificate's expiry first")
		}
		return sess.RemindersICS(), nil
	})
}

func jsonIndent(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// fileStem makes a vendor's name a file name: its letters and digits, lower case,
// joined by dashes.
func fileStem(vendor string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(vendor) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	if b.Len() == 0 {
		return "sso"
	}
	return b.String()
}

// saveWithDialog asks where to save with a file save dialog, and writes there off the
// UI goroutine.
func (sc *setupScreen) saveWithDialog(name string, data []byte, done func(string, error)) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			done("", err)
			return
		}
		if w == nil {
			done("", nil)
			return
		}
		sc.env.async(func() func() {
			err := writeExport(w, data)
			// The URI's path has "/" even on Windows; a person reads the native form.
			return func() { done(filepath.FromSlash(w.URI().Path()), err) }
		})
	}, sc.env.win)
	d.SetFileName(name)
	d.Show()
}

// onOpenBlade opens the step's page of the Entra admin center.
func (sc *setupScreen) onOpenBlade(u string) {
	open := sc.env.deps.OpenURL
	sc.env.async(func() func() {
		err := open(u)
		return func() {
			if err != nil {
				sc.note, sc.noteImp = sentence(fmt.Errorf("the browser did not open (%w): copy the address %s", err, u)), widget.DangerImportance
				sc.updateActions()
			}
		}
	})
}

// showProgress puts an animated progress bar in the actions while a Run is in flight,
// and takes it out (stopped) when the Run ends. A hidden bar is not enough: Fyne 2.7
// hides a ProgressBarInfinite without stopping its animation (Hide does not refresh the
// renderer that owns it), so after a step ended the hidden bar went on redrawing the
// window at every frame until Fyne's renderer cache dropped it about a minute later,
// a core busy and clicks waiting behind the painting. Stop refreshes the renderer,
// which ends the animation, and a bar out of the tree is not restarted by a theme change.
func (sc *setupScreen) showProgress(on bool) {
	switch {
	case on && sc.progress == nil:
		sc.progress = widget.NewProgressBarInfinite()
		sc.progressBox.Objects = []fyne.CanvasObject{sc.progress}
		sc.progressBox.Refresh()
	case !on && sc.progress != nil:
		sc.progress.Stop()
		sc.progress = nil
		sc.progressBox.Objects = nil
		sc.progressBox.Refresh()
	}
}

// writeExport writes an export to the file chosen, readable by its owner only (0600,
// as the command line writes its bundles): the mode is set before the first byte is
// written, since the dialog's writer creates the file with the usual 0644.
func writeExport(w fyne.URIWriteCloser, data []byte) error {
	if w.URI().Scheme() == "file" {
		if err := os.Chmod(w.URI().Path(), 0o600); err != nil {
			return errors.Join(fmt.Errorf("making the file private: %w", err), w.Close())
		}
	}
	_, werr := w.Write(data)
	return errors.Join(werr, w.Close())
}
