package ui

import (
	"context"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ssowizard/ssowizard/wizard"
)

// TestDeviceCodeSignIn: automatic mode on a real tenant. When the Graph client asks
// for a device-code sign-in (from its own goroutine, during a step), the window shows
// Entra's sentence and the code, copies the code and opens the page; the dialog goes
// away when the step's run ends.
func TestDeviceCodeSignIn(t *testing.T) {
	eng := newEngine(t)
	create(t, eng, wizard.NewSession{Protocol: wizard.OIDC, Target: "entra", Mode: wizard.Auto})
	signIns := make(chan func(SignIn), 1)
	opened := make(chan string, 1)
	r, _ := startRig(t, eng, Deps{
		OpenURL: func(u string) error { opened <- u; return nil },
		Target: func(_ context.Context, name string, mode wizard.Mode, signIn func(SignIn)) (*wizard.Target, error) {
			if signIn == nil {
				t.Error("the window gave the target no way to ask for a sign-in")
			}
			signIns <- signIn
			return &wizard.Target{Name: name}, nil
		},
	})
	test.Tap(r.sh.setup.start.resumeBtns[0])
	r.wait(2) // the session loaded with its target; the setup screen read
	sc := r.sh.setup.screen
	if sc == nil {
		t.Fatal("the setup was not opened")
	}

	p := SignIn{
		Message: "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code F7K2QX9LM to authenticate.",
		URL:     "https://microsoft.com/devicelogin", Code: "F7K2QX9LM",
	}
	go (<-signIns)(p)
	r.wait(1)
	top := r.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no sign-in dialog is shown")
	}
	texts, buttons := map[string]bool{}, map[string]*widget.Button{}
	for _, o := range test.LaidOutObjects(top) {
		switch w := o.(type) {
		case *widget.Label:
			texts[w.Text] = true
		case *widget.Button:
			buttons[w.Text] = w
		}
	}
	for _, want := range []string{signInTitle, p.Message, p.Code} {
		if !texts[want] {
			t.Errorf("the dialog does not show %q; it shows %v", want, texts)
		}
	}
	if b := buttons["Copy code"]; b == nil {
		t.Error("the dialog has no Copy code button")
	} else if test.Tap(b); r.app.Clipboard().Content() != p.Code {
		t.Errorf("Copy code put %q on the clipboard", r.app.Clipboard().Content())
	}
	if b := buttons["Open the sign-in page"]; b == nil {
		t.Error("the dialog has no button opening the page")
	} else {
		test.Tap(b)
		r.wait(1) // the browser is started off the UI goroutine
		if len(opened) != 1 || <-opened != p.URL {
			t.Errorf("the sign-in page was not opened")
		}
	}

	// The step's run ends (here at once: the fake target has no Graph): the code is
	// of no use any more and the dialog goes.
	test.Tap(sc.runBtn)
	r.wait(1)
	if top := r.win.Canvas().Overlays().Top(); top != nil {
		t.Errorf("the sign-in dialog is still shown after the run ended: %T", top)
	}
	if sc.snap.step(wizard.StepRegistration).Status == wizard.Verified {
		t.Error("the step was verified with no Graph behind it")
	}
}
