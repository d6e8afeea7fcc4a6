package inspect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// streamed inspects b with InspectCapture, one byte per read, and returns the capture's
// report and the messages in the order they were emitted.
func streamed(t *testing.T, b []byte, opts Options) (*Report, []*Report) {
	t.Helper()
	var msgs []*Report
	top, err := InspectCapture(iotest.OneByteReader(bytes.NewReader(b)), opts, func(m *Report) error {
		msgs = append(msgs, m)
		return nil
	})
	if err != nil {
		t.Fatalf("InspectCapture: %v", err)
	}
	return top, msgs
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The stream gives the reports Inspect gives for the capture held whole: the same
// messages, correlated the same way, and the same verdict and findings for the capture.
func TestInspectCaptureMatchesInspect(t *testing.T) {
	login, loginOpts := fdLoginHAR(t)
	fixture, err := os.ReadFile("testdata/cases/har-saml-login/input.har")
	if err != nil {
		t.Fatal(err)
	}
	tracer := fdJSON(t, map[string]any{"requests": []any{
		map[string]any{"method": "GET", "url": "https://login.microsoftonline.com/" + fdTenant + "/saml2?SAMLRequest=x",
			"saml": fdAuthnRequestXML, "responseStatus": 200},
		map[string]any{"method": "POST", "url": "https://vendor.example/saml/acs",
			"post": [][]string{{"SAMLResponse", fdB64(fdResponseXML)}}, "saml": fdResponseXML, "responseStatus": 302},
	}})
	for _, tc := range []struct {
		name string
		in   []byte
		opts Options
	}{
		{"login HAR", login, loginOpts},
		{"fixture HAR", fixture, Options{Now: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), AtCaptureTime: true}},
		{"fixture HAR with BOM", append([]byte{0xEF, 0xBB, 0xBF}, fixture...), Options{Now: fdNow}},
		{"SAML-tracer", []byte(tracer), Options{Now: fdNow}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			whole := Inspect(tc.in, tc.opts)
			top, msgs := streamed(t, tc.in, tc.opts)
			if len(msgs) == 0 || len(msgs) != len(whole.Messages) {
				t.Fatalf("streamed %d messages, Inspect %d", len(msgs), len(whole.Messages))
			}
			for i := range msgs {
				if got, want := mustJSON(t, msgs[i]), mustJSON(t, whole.Messages[i]); got != want {
					t.Errorf("message %d streamed:\n%s\nwant (Inspect):\n%s", i, got, want)
				}
			}
			whole.Messages = nil
			if got, want := mustJSON(t, top), mustJSON(t, whole); got != want {
				t.Errorf("capture report streamed:\n%s\nwant (Inspect):\n%s", got, want)
			}
			if top.Headline() != Inspect(tc.in, tc.opts).Headline() {
				t.Errorf("headline streamed %q, want %q", top.Headline(), Inspect(tc.in, tc.opts).Headline())
			}
		})
	}
}

// A capture that breaks off, or is garbled, keeps the reports of the entries before
// the break and says in one sentence where it broke.
func TestInspectCaptureBroken(t *testing.T) {
	har, opts := fdLoginHAR(t)
	whole := Inspect(har, opts)
	// The start of entry 4 (the authorize request): entries 0-3 hold two messages.
	cut := bytes.Index(har, []byte(`oauth2/v2.0/authorize`))
	cut = bytes.LastIndex(har[:cut], []byte(`{"cache"`))
	if cut < 0 {
		t.Fatal("entry 4 not found")
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"truncated inside entry 4", har[:cut+40], "breaks off or is garbled in HAR entry 4 (the file ends there)"},
		{"truncated after entry 3", har[:cut-1], "breaks off or is garbled in HAR entry 4 (the file ends there)"},
		{"garbled between entries", append(append(append([]byte{}, har[:cut-1]...), ';'), har[cut:]...), `in HAR entry 4 (a ';' where a comma or the closing bracket belongs)`},
		{"garbled inside entry 4", append(append(append([]byte{}, har[:cut+1]...), "nope"...), har[cut+1:]...), "HAR entry 4 does not parse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			top, msgs := streamed(t, tc.in, opts)
			if len(msgs) != 2 {
				t.Fatalf("%d messages before the break, want 2", len(msgs))
			}
			for i := range msgs {
				if mustJSON(t, msgs[i]) != mustJSON(t, whole.Messages[i]) {
					t.Errorf("message %d differs from the whole capture's", i)
				}
			}
			var fs []Finding
			for _, f := range top.Findings {
				if f.Code == CodeInputMalformed {
					fs = append(fs, f)
				}
			}
			if len(fs) != 1 || !strings.Contains(fs[0].Message, tc.want) || strings.Count(fs[0].Message, ". ") > 0 {
				t.Errorf("findings %+v, want one sentence containing %q", top.Findings, tc.want)
			}
			if top.OK() {
				t.Errorf("a broken capture passed: verdict %s", top.Verdict)
			}
			// Inspect of the same bytes says the same.
			if r := Inspect(tc.in, opts); len(r.Messages) != 2 || !r.Has(CodeInputMalformed) {
				t.Errorf("Inspect(broken) %d messages findings %v", len(r.Messages), fdCodes(r))
			}
		})
	}
}

// An entry over the per-entry bound is skipped with an input-too-large finding, and
// the entries after it are still read.
func TestInspectCaptureEntryTooLarge(t *testing.T) {
	const limit = 4096
	big := fdHAREntry("GET", "https://vendor.example/app.js", 200, func(_, resp map[string]any) {
		resp["content"] = map[string]any{"mimeType": "text/javascript", "text": strings.Repeat(`"{[x\\`, limit*entryBudget/4)}
	})
	har := fdBuildHAR(t,
		fdHAREntry("GET", "https://vendor.example/cb?code=c0&state=s", 200, nil),
		big,
		fdHAREntry("GET", "https://vendor.example/cb?code=c2&state=s", 200, nil),
	)
	top, msgs := streamed(t, har, Options{Now: fdNow, MaxInputBytes: limit})
	if len(msgs) != 2 || msgs[0].Source.Entry != 0 || msgs[1].Source.Entry != 2 {
		t.Fatalf("%d messages, want entries 0 and 2; findings %+v", len(msgs), top.Findings)
	}
	if !top.Has(CodeInputTooLarge) || top.OK() || !strings.Contains(top.Findings[0].Message, "HAR entry 1 is ") {
		t.Errorf("findings %+v, want input-too-large for entry 1, failing the capture", top.Findings)
	}
	if top.Input.Size != len(har) {
		t.Errorf("size %d, want %d", top.Input.Size, len(har))
	}
}

// Input that is not a capture is left to the caller; emit's error stops the stream.
func TestInspectCaptureNotCaptureAndEmitError(t *testing.T) {
	for _, in := range []string{`{"access_token":"x","id_token":"y"}`, `[1]`, `SAMLResponse=abc`, `{"log":`} {
		if _, err := InspectCapture(strings.NewReader(in), Options{}, func(*Report) error { return nil }); !errors.Is(err, ErrNotCapture) && in != `{"log":` {
			t.Errorf("InspectCapture(%q) error %v, want ErrNotCapture", in, err)
		}
	}
	har, opts := fdLoginHAR(t)
	stop := fmt.Errorf("reader gone")
	n := 0
	_, err := InspectCapture(bytes.NewReader(har), opts, func(*Report) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("emit failing: error %v after %d messages, want %v after 1", err, n, stop)
	}
}
