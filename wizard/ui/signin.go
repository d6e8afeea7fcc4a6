package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// signInTitle heads the device-code dialog.
const signInTitle = "Sign in to Microsoft Graph"

// showSignIn shows a device-code sign-in: Entra's sentence, the code with a copy button,
// and a button that opens the page to enter it on. It may be called from any goroutine
// (the Graph client asks when a step first needs a token); the dialog is shown on the UI
// goroutine and closed when the step's run ends, signed in or not.
func (e *env) showSignIn(p SignIn) {
	e.async(func() func() {
		return func() {
			e.closeSignIn()
			msg := p.Message
			if msg == "" {
				msg = fmt.Sprintf("To sign in, open %s and enter the code %s.", p.URL, p.Code)
			}
			code := widget.NewLabelWithStyle(p.Code, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
			code.SizeName = theme.SizeNameSubHeadingText
			row := container.NewHBox(boldLabel("Code"), code,
				e.copyButton("Copy code", p.Code))
			if e.deps.OpenURL != nil && p.URL != "" {
				openURL := e.deps.OpenURL
				open := widget.NewButtonWithIcon("Open the sign-in page", theme.ComputerIcon(), func() {
					// Starting the browser may take seconds: not on the UI goroutine.
					e.async(func() func() {
						err := openURL(p.URL)
						return func() {
							if err != nil {
								dialog.ShowError(fmt.Errorf("the browser did not open %s: %w; open it yourself and enter the code", p.URL, err), e.win)
							}
						}
					})
				})
				open.Importance = widget.HighImportance
				row.Add(open)
			}
			body := container.NewVBox(
				wrapLabel(msg),
				row,
				captionLabel("Sign in as an administrator who may register applications and grant consent. "+
					"The step goes on by itself once you have signed in; Cancel on the step stops waiting."),
			)
			d := dialog.NewCustom(signInTitle, "Hide", body, e.win)
			d.Resize(fyne.NewSize(560, 0))
			e.signIn = d
			d.Show()
		}
	})
}

// closeSignIn hides the sign-in dialog, if one is shown.
func (e *env) closeSignIn() {
	if e.signIn != nil {
		e.signIn.Hide()
		e.signIn = nil
	}
}
