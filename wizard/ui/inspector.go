package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssowizard/ssowizard/inspect"
)

// showLimit is the largest input put in the entry; larger files are kept aside, as a
// multi-megabyte HAR in a text entry makes the window crawl.
const showLimit = 256 << 10

// fetchTimeout bounds fetching trust material from a URL.
const fetchTimeout = 30 * time.Second

// field is one expectation entry with the sentence shown under it when it is wrong.
type field struct {
	label    string
	entry    *widget.Entry
	err      *widget.Label
	validate func(string) error
}

func (f *field) showError(err error) {
	if err == nil {
		f.err.SetText("")
		f.err.Hide()
		return
	}
	f.err.SetText(sentence(err))
	f.err.Show()
}

// inspector is the Inspector screen: input on the left, results on the right.
type inspector struct {
	env *env

	input       *widget.Entry
	inputNote   *widget.Label
	settingText bool
	// fileInput holds an input too large to show in the entry; nil when the entry is the input.
	fileInput  []byte
	status     *widget.Label
	inspectBtn *widget.Button
	gen        int

	trust      inspect.Options
	trustNotes []string
	trustLabel *widget.Label
	trustURL   *widget.Entry
	trustErr   *widget.Label
	fetchBtn   *widget.Button
	cancelBtn  *widget.Button
	cancel     context.CancelFunc
	trustGen   int
	// exampleTrusted is set while the example's certificate is among what is trusted.
	exampleTrusted bool
	fields         map[string]*field
	order          []string
	accordion      *widget.Accordion

	results *fyne.Container
	// harList and harDetail are set while a capture is shown.
	harList   *widget.List
	harDetail *fyne.Container
}

func newInspector(e *env) *inspector {
	s := &inspector{env: e, fields: map[string]*field{}}
	e.dropped = s.onDropped
	e.accept = func(name string, input []byte) {
		s.setInput(name, input)
		s.onInspect()
	}
	if e.deps.Example != nil {
		e.example = s.onExample
	}
	return s
}

func (s *inspector) view() fyne.CanvasObject {
	input := newKeyEntry(s.env.win, "multiline")
	s.input = &input.Entry
	s.input.TextStyle = fyne.TextStyle{Monospace: true}
	s.input.SetPlaceHolder("Paste a SAMLResponse (XML or base64), a JWT, a token response, a URL with SAMLResponse or id_token, or a HAR capture here.")
	s.input.Wrapping = fyne.TextWrapBreak
	s.input.SetMinRowsVisible(12)
	s.input.OnChanged = func(string) {
		if !s.settingText && s.fileInput != nil {
			s.fileInput = nil
			s.inputNote.Hide()
		}
	}
	s.inputNote = wrapLabel("")
	s.inputNote.Hide()
	s.status = wrapLabel("")
	s.status.Hide()

	buttons := []fyne.CanvasObject{
		widget.NewButtonWithIcon("Open file…", theme.FolderOpenIcon(), s.onOpen),
	}
	if s.env.deps.Example != nil {
		buttons = append(buttons, widget.NewButton("Load example", s.onExample))
	}
	s.inspectBtn = widget.NewButtonWithIcon("Inspect", theme.SearchIcon(), s.onInspect)
	s.inspectBtn.Importance = widget.HighImportance
	buttons = append(buttons, s.inspectBtn)

	s.accordion = widget.NewAccordion(widget.NewAccordionItem("Trust and expectations", s.trustForm()))
	s.accordion.Open(0)
	left := container.NewBorder(container.NewHBox(buttons...), nil, nil, nil,
		// The right padding keeps the last button of a row clear of the split's divider.
		container.NewVScroll(container.New(layout.NewCustomPaddedLayout(0, 0, 0, theme.Padding()),
			container.NewVBox(input, s.inputNote, s.status, s.accordion))))

	s.results = container.NewVBox(wrapLabel("Paste a message on the left, open a file or drop one on this window, then press Inspect. " +
		"The verdict, each problem with its fix, the claims and the decoded message appear here."))
	split := container.NewHSplit(left, container.NewVScroll(s.results))
	split.Offset = 0.45
	return split
}

// trustForm builds the "Trust and expectations" section.
func (s *inspector) trustForm() fyne.CanvasObject {
	s.trustLabel = wrapLabel("")
	s.showTrust()
	s.trustErr = errorLabel()
	s.trustURL = widget.NewEntry()
	s.trustURL.SetPlaceHolder("Metadata, JWKS or discovery URL")
	s.trustURL.OnSubmitted = func(string) { s.onFetch() }
	s.fetchBtn = widget.NewButtonWithIcon("Fetch", theme.DownloadIcon(), s.onFetch)
	s.cancelBtn = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), s.onCancelFetch)
	s.cancelBtn.Disable()
	openTrust := widget.NewButtonWithIcon("Open file…", theme.FileIcon(), s.onOpenTrust)
	clearTrust := widget.NewButtonWithIcon("Forget", theme.DeleteIcon(), s.onClearTrust)

	s.addField(fieldFingerprint, "SHA-256 fingerprint", "SHA-256, as openssl prints it", validateFingerprint)
	s.addField(fieldSPEntityID, "SP Entity ID", "Identifier the vendor gave", nil)
	s.addField(fieldACS, "ACS URL", "Reply URL the vendor gave", nil)
	s.addField(fieldClientID, "Client ID", "Application (client) ID", nil)
	s.addField(fieldTenant, "Tenant", "Tenant ID or verified domain", nil)
	s.addField(fieldRequestID, "Request ID", "ID of the AuthnRequest", nil)
	s.addField(fieldNonce, "Nonce", "Nonce of the sign-in request", nil)
	s.addField(fieldSkew, "Clock skew", "Like 5m; empty for none", validateSkew)
	s.addField(fieldCheckAt, "Check at", "RFC 3339 time; empty for now", validateCheckAt)

	rows := []fyne.CanvasObject{
		widget.NewLabelWithStyle("Trust", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewVBox(
			container.NewHBox(openTrust, clearTrust),
			container.NewBorder(nil, nil, nil, container.NewHBox(s.fetchBtn, s.cancelBtn), s.trustURL),
			s.trustErr,
			s.trustLabel,
		),
	}
	for _, name := range s.order {
		f := s.fields[name]
		rows = append(rows, widget.NewLabelWithStyle(f.label, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
			container.NewVBox(f.entry, f.err))
	}
	return container.New(layout.NewFormLayout(), rows...)
}

func (s *inspector) addField(name, label, hint string, validate func(string) error) {
	f := &field{label: label, entry: widget.NewEntry(), err: errorLabel(), validate: validate}
	f.entry.SetPlaceHolder(hint)
	if validate != nil {
		f.entry.Validator = validate
		f.entry.OnChanged = func(v string) { f.showError(validate(v)) }
	}
	s.fields[name] = f
	s.order = append(s.order, name)
}

func (s *inspector) expectations() expectations {
	get := func(name string) string { return s.fields[name].entry.Text }
	return expectations{
		Fingerprint: get(fieldFingerprint),
		SPEntityID:  get(fieldSPEntityID),
		ACS:         get(fieldACS),
		ClientID:    get(fieldClientID),
		Tenant:      get(fieldTenant),
		RequestID:   get(fieldRequestID),
		Nonce:       get(fieldNonce),
		Skew:        get(fieldSkew),
		CheckAt:     get(fieldCheckAt),
	}
}

// setInput makes b the input, shown in the entry when it is small text.
func (s *inspector) setInput(name string, b []byte) {
	s.settingText = true
	defer func() { s.settingText = false }()
	if len(b) <= showLimit && utf8.Valid(b) {
		s.fileInput = nil
		s.input.SetText(string(b))
		s.inputNote.Hide()
		return
	}
	s.fileInput = b
	s.input.SetText("")
	s.inputNote.SetText(fmt.Sprintf("%s (%s) is loaded but too large to show here; Inspect reads all of it. Type or paste here to inspect something else instead.", name, size(len(b))))
	s.inputNote.Show()
}

func (s *inspector) inputBytes() []byte {
	if s.fileInput != nil {
		return s.fileInput
	}
	return []byte(s.input.Text)
}

func (s *inspector) setStatus(msg string, imp widget.Importance) {
	s.status.Importance = imp
	s.status.SetText(msg)
	if msg == "" {
		s.status.Hide()
	} else {
		s.status.Show()
	}
}

// onInspect checks the fields and runs the inspection off the UI goroutine. A wrong
// field stops it with the field's error shown; the input stays as it is.
func (s *inspector) onInspect() {
	opts, errs := buildOptions(s.trust, s.expectations(), s.env.now)
	for _, name := range s.order {
		s.fields[name].showError(errs[name])
	}
	if len(errs) > 0 {
		s.accordion.Open(0)
		s.setStatus(fmt.Sprintf("Not inspected: correct %s under Trust and expectations.", plural(len(errs), "field")), widget.DangerImportance)
		return
	}
	in := s.inputBytes()
	if len(bytes.TrimSpace(in)) == 0 {
		s.setStatus("Nothing to inspect yet: paste a message, open a file or drop one on the window.", widget.WarningImportance)
		return
	}
	if len(in) > maxInputBytes {
		s.setStatus(sentence(tooLarge("The pasted text")), widget.DangerImportance)
		return
	}
	if s.env.deps.Inspect == nil {
		s.setStatus("Inspection is not available in this build.", widget.DangerImportance)
		return
	}
	s.gen++
	gen := s.gen
	s.setStatus("Inspecting…", widget.MediumImportance)
	inspectFn := s.env.deps.Inspect
	s.env.async(func() func() {
		r := inspectFn(in, opts)
		return func() {
			if gen != s.gen {
				return // a newer inspection replaced this one
			}
			if r == nil {
				s.setStatus("The inspector returned no report for this input.", widget.DangerImportance)
				return
			}
			s.setStatus("", widget.MediumImportance)
			s.show(r)
		}
	})
}

// exampleTrustNote names the example's certificate among what is trusted.
const exampleTrustNote = "the demo tenant's example certificate, from the example app's federation metadata (it signs only the examples of Load example, never a real sign-in)"

// onExample loads the example off the UI goroutine (the first one makes a key), trusts
// the certificate it was signed with as its federation metadata publishes it, sets the
// SP Entity ID and ACS URL it was made for, and inspects it.
func (s *inspector) onExample() {
	example := s.env.deps.Example
	s.setStatus("Making the example…", widget.MediumImportance)
	s.env.async(func() func() {
		ex, err := example()
		var l trustLoad
		if err == nil {
			l, err = parseTrust(context.Background(), "the example's federation metadata", ex.Metadata, nil)
		}
		return func() {
			if err != nil {
				s.setStatus(sentence(fmt.Errorf("the example could not be made: %w", err)), widget.DangerImportance)
				return
			}
			s.setStatus("", widget.MediumImportance)
			if !s.exampleTrusted {
				mergeTrust(&s.trust, l.opts)
				s.trustNotes = append(s.trustNotes, exampleTrustNote)
				s.exampleTrusted = true
				s.showTrust()
			}
			s.fields[fieldSPEntityID].entry.SetText(ex.SPEntityID)
			s.fields[fieldACS].entry.SetText(ex.ACS)
			s.setInput("example", ex.Message)
			s.onInspect()
		}
	})
}

func (s *inspector) onOpen() {
	openFileDialog(s.env.win, func(err error) {
		s.setStatus(sentence(fmt.Errorf("opening the file failed: %w", err)), widget.DangerImportance)
	}, func(name string, read func() ([]byte, error)) { s.loadInput(name, read, "") }).Show()
}

func (s *inspector) onDropped(uris []fyne.URI) {
	if len(uris) == 0 {
		return
	}
	note := ""
	if len(uris) > 1 {
		note = fmt.Sprintf("%d files were dropped; only %s is inspected.", len(uris), uris[0].Name())
	}
	s.loadURI(uris[0], note)
}

// loadURI reads a file as the input and inspects it; note, when set, is shown under the input.
func (s *inspector) loadURI(u fyne.URI, note string) {
	s.loadInput(u.Name(), func() ([]byte, error) {
		rc, err := storage.Reader(u)
		if err != nil {
			return nil, fmt.Errorf("opening %s failed: %w", u.Name(), err)
		}
		defer rc.Close()
		return readBounded(rc, u.Name())
	}, note)
}

func (s *inspector) loadInput(name string, read func() ([]byte, error), note string) {
	s.setStatus("Reading "+name+"…", widget.MediumImportance)
	s.env.async(func() func() {
		b, err := read()
		return func() {
			if err != nil {
				s.setStatus(sentence(err), widget.DangerImportance)
				return
			}
			s.setStatus("", widget.MediumImportance)
			s.setInput(name, b)
			if note != "" {
				s.inputNote.SetText(note)
				s.inputNote.Show()
			}
			s.onInspect()
		}
	})
}

// Trust material.

func (s *inspector) showTrust() {
	if len(s.trustNotes) == 0 {
		s.trustLabel.SetText("Nothing trusted yet: signatures are checked against the message's own certificate and reported as untrusted.")
		return
	}
	s.trustLabel.SetText("Trusted: " + strings.Join(s.trustNotes, "; ") + ".")
}

func (s *inspector) onOpenTrust() {
	openFileDialog(s.env.win, func(err error) {
		s.showTrustError(fmt.Errorf("opening the file failed: %w", err))
	}, func(name string, read func() ([]byte, error)) {
		s.loadTrust(name, func(context.Context) ([]byte, error) { return read() })
	}).Show()
}

// loadTrustURI reads trust material from a file.
func (s *inspector) loadTrustURI(u fyne.URI) {
	s.loadTrust(u.Name(), func(context.Context) ([]byte, error) {
		rc, err := storage.Reader(u)
		if err != nil {
			return nil, fmt.Errorf("opening %s failed: %w", u.Name(), err)
		}
		defer rc.Close()
		return readBounded(rc, u.Name())
	})
}

func (s *inspector) onFetch() {
	url := strings.TrimSpace(s.trustURL.Text)
	if err := checkURL(url, s.env.deps.Fetch != nil); err != nil {
		s.showTrustError(err)
		return
	}
	fetch := s.env.deps.Fetch
	s.loadTrust(url, func(ctx context.Context) ([]byte, error) {
		b, err := fetch(ctx, url)
		switch {
		case errors.Is(ctx.Err(), context.Canceled):
			return nil, fmt.Errorf("fetching %s was cancelled", url)
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			return nil, fmt.Errorf("%s did not answer within %s; check the address, or download the file and open it", url, fetchTimeout)
		case err != nil:
			return nil, fmt.Errorf("fetching %s failed: %w; check the address, or download the file and open it", url, err)
		case len(b) > maxInputBytes:
			return nil, tooLarge(url)
		}
		return b, nil
	})
}

func (s *inspector) onCancelFetch() {
	if s.cancel != nil {
		s.cancel()
	}
}

// loadTrust reads trust material off the UI goroutine, with a context the Cancel
// button ends, and adds it to what the screen trusts.
func (s *inspector) loadTrust(name string, read func(context.Context) ([]byte, error)) {
	s.onCancelFetch()
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	s.cancel = cancel
	s.trustGen++
	gen := s.trustGen
	s.fetchBtn.Disable()
	s.cancelBtn.Enable()
	s.showTrustError(nil)
	fetch := s.env.deps.Fetch
	s.env.async(func() func() {
		l, err := func() (trustLoad, error) {
			b, err := read(ctx)
			if err != nil {
				return trustLoad{}, err
			}
			return parseTrust(ctx, name, b, fetch)
		}()
		return func() {
			cancel()
			if gen != s.trustGen {
				return // a newer load cancelled and replaced this one
			}
			s.cancel = nil
			s.fetchBtn.Enable()
			s.cancelBtn.Disable()
			if err != nil {
				s.showTrustError(err)
				return
			}
			mergeTrust(&s.trust, l.opts)
			s.trustNotes = append(s.trustNotes, l.note)
			s.showTrust()
		}
	})
}

func (s *inspector) onClearTrust() {
	s.trust = inspect.Options{}
	s.trustNotes = nil
	s.exampleTrusted = false
	s.showTrustError(nil)
	s.showTrust()
}

func (s *inspector) showTrustError(err error) {
	if err == nil {
		s.trustErr.SetText("")
		s.trustErr.Hide()
		return
	}
	s.trustErr.SetText(sentence(err))
	s.trustErr.Show()
}

// Results.

// show replaces the results with the report.
func (s *inspector) show(r *inspect.Report) {
	s.harList, s.harDetail = nil, nil
	var objs []fyne.CanvasObject
	if len(r.Messages) > 0 {
		objs = append(objs, banner(windowWords(r.Headline()), verdictLevel(r)))
		objs = append(objs, s.findings(r.Findings)...)
		objs = append(objs, s.messages(r.Messages)...)
	} else {
		objs = s.report(r)
	}
	s.results.Objects = objs
	s.results.Refresh()
}

// report lays out one message: verdict, findings, summary, claims, decoded message.
func (s *inspector) report(r *inspect.Report) []fyne.CanvasObject {
	objs := []fyne.CanvasObject{banner(windowWords(r.Headline()), verdictLevel(r))}
	objs = append(objs, s.findings(r.Findings)...)
	if rows := summaryRows(r); len(rows) > 0 {
		objs = append(objs, heading("Summary"), s.summary(rows))
	}
	if rows := claimRows(r); len(rows) > 0 {
		objs = append(objs, heading(fmt.Sprintf("Claims (%d)", len(rows))), s.claims(rows))
		if r.Signature != nil && r.Signature.Status == inspect.SigValid && !r.ClaimsSigned {
			objs = append(objs, warnLabel("These claims are not covered by the signature."))
		}
	}
	if r.Pretty != "" {
		pretty := widget.NewLabel(r.Pretty)
		pretty.TextStyle = fyne.TextStyle{Monospace: true}
		scroll := container.NewScroll(pretty)
		scroll.SetMinSize(fyne.NewSize(0, 320))
		objs = append(objs,
			container.NewBorder(nil, nil, nil, s.copyButton(r.Pretty), heading("Decoded message")),
			scroll)
	}
	return objs
}

func (s *inspector) findings(fs []inspect.Finding) []fyne.CanvasObject {
	if len(fs) == 0 {
		return nil
	}
	objs := []fyne.CanvasObject{heading(fmt.Sprintf("Findings (%d)", len(fs)))}
	for _, f := range fs {
		title := widget.NewLabelWithStyle(strings.ToUpper(string(f.Severity))+"  "+f.Code, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		if lv, ok := severityLevel(f.Severity); ok {
			title.Importance = importance(lv)
		}
		body := []fyne.CanvasObject{title, wrapLabel(windowWords(f.Message))}
		if f.Fix != "" {
			body = append(body, wrapLabel("Fix: "+windowWords(f.Fix)))
		}
		objs = append(objs, container.NewBorder(nil, nil, nil, s.copyButton(findingText(f)), container.NewVBox(body...)),
			widget.NewSeparator())
	}
	return objs
}

func (s *inspector) summary(rows []row) fyne.CanvasObject {
	var objs []fyne.CanvasObject
	for _, r := range rows {
		objs = append(objs,
			widget.NewLabelWithStyle(r.Label, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
			container.NewBorder(nil, nil, nil, s.copyButton(r.Value), wrapLabel(r.Value)))
	}
	return container.New(layout.NewFormLayout(), objs...)
}

func (s *inspector) claims(rows []claimRow) fyne.CanvasObject {
	objs := []fyne.CanvasObject{
		widget.NewLabelWithStyle("Claim", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabelWithStyle("Values", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabelWithStyle("About", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
	}
	for _, c := range rows {
		name := []fyne.CanvasObject{widget.NewLabelWithStyle(c.Friendly, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})}
		if c.Name != "" {
			full := wrapLabel(c.Name)
			full.SizeName = theme.SizeNameCaptionText
			name = append(name, full)
		}
		objs = append(objs,
			container.NewVBox(name...),
			container.NewBorder(nil, nil, nil, s.copyButton(c.Values), wrapLabel(c.Values)),
			wrapLabel(c.About))
	}
	return container.New(newColumnsLayout(0.3, 0.35, 0.35), objs...)
}

// messages lists the messages of a capture and shows the selected one below.
func (s *inspector) messages(ms []*inspect.Report) []fyne.CanvasObject {
	s.harDetail = container.NewVBox()
	s.harList = widget.NewList(
		func() int { return len(ms) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("#0 GET https://example\nSAML Response — OK")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			l := o.(*widget.Label)
			l.Importance = importance(verdictLevel(ms[id]))
			if l.Importance == widget.SuccessImportance {
				l.Importance = widget.MediumImportance
			}
			l.SetText(messageLabel(ms[id]))
		})
	s.harList.OnSelected = func(id widget.ListItemID) {
		s.harDetail.Objects = s.report(ms[id])
		s.harDetail.Refresh()
	}
	s.harList.Select(0)
	return []fyne.CanvasObject{
		heading(fmt.Sprintf("Messages (%d)", len(ms))),
		container.New(&minSizeLayout{min: fyne.NewSize(0, 220)}, s.harList),
		widget.NewSeparator(),
		s.harDetail,
	}
}

// copyButton copies v; it sits at the top of its cell rather than stretching beside
// a tall value.
func (s *inspector) copyButton(v string) fyne.CanvasObject {
	return container.NewVBox(s.env.copyButton("", v))
}

// size is a byte count for people.
func size(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
