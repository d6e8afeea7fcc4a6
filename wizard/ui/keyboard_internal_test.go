package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssowizard/ssowizard/wizard"
)

// TestKeyboardOnASetupStep: a step opens with its first field focused, and Enter on a
// focused button presses it.
func TestKeyboardOnASetupStep(t *testing.T) {
	f := newWizFixture(t)
	r := newSetupRig(t, f.session(t), f.target())
	c := r.win.Canvas()
	if c.Focused() == nil || c.Focused() != fyne.Focusable(r.sc.firstEntry) || &r.sc.firstEntry.Entry != r.sc.entries[wizard.InClientID] {
		t.Errorf("the step opened with %T focused, want its first field (the client ID)", c.Focused())
	}

	run, ok := r.sc.buttons.Objects[1].(*enterButton)
	if !ok || &run.Button != r.sc.runBtn {
		t.Fatalf("the second action is %T, want the run button", r.sc.buttons.Objects[1])
	}
	c.Focus(run)
	c.Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	r.wait()
	if st := r.sc.snap.step(wizard.StepRegistration); st.Status != wizard.Failed {
		t.Errorf("after Enter on %q the step is %s, want it checked (and failed: nothing was entered)", run.Text, st.Status)
	}
	// Space still presses it too.
	c.Focus(run)
	c.Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
	r.wait()
}

// TestTabShortcutsWhileTyping: Ctrl+1… switch tabs while a text field has the focus,
// and the field keeps the shortcuts it knows (select all).
func TestTabShortcutsWhileTyping(t *testing.T) {
	r := newShellRig(t, Deps{Harness: &testHarness{}})
	insp := screenIndex(t, r.sh.screens, "Inspector")
	r.sh.tabs.SelectIndex(insp)
	var entry *keyEntry
	for _, o := range test.LaidOutObjects(r.win.Content()) {
		if e, ok := o.(*keyEntry); ok && e.MultiLine && e.Visible() {
			entry = e
			break
		}
	}
	if entry == nil {
		t.Fatal("the Inspector shows no input field")
	}
	r.win.Canvas().Focus(entry)
	test.Type(entry, "abc")
	entry.TypedShortcut(&fyne.ShortcutSelectAll{})
	if entry.SelectedText() != "abc" {
		t.Errorf("select all in the field selected %q", entry.SelectedText())
	}
	entry.TypedShortcut(tabShortcut(0))
	if got := r.sh.tabs.SelectedIndex(); got != 0 {
		t.Errorf("Ctrl+1 typed in the Inspector's field left tab %d selected, want the first", got)
	}
}
