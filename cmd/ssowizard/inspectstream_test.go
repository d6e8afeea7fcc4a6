package main

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ssowizard/ssowizard/inspect"
)

const harFixture = "../../inspect/testdata/cases/har-saml-login/input.har"

// The streamed --json output of a HAR is the object DESIGN.md defines, with the same
// content inspect.Inspect gives for the file held whole.
func TestInspectHARStreamJSON(t *testing.T) {
	b, err := os.ReadFile(harFixture)
	if err != nil {
		t.Fatal(err)
	}
	const now = "2026-11-23T09:00:00Z"
	code, out, errOut := runCmd(t, "", "inspect", "--json", "--now", now, harFixture)
	if code != exitWrong || errOut != "" {
		t.Fatalf("exit %d stderr %q, want %d (the response is unverified without --cert)", code, errOut, exitWrong)
	}
	at, _ := time.Parse(time.RFC3339, now)
	want := inspect.Inspect(b, inspect.Options{Now: at})
	stripPretty(want)
	wantJSON, _ := json.Marshal(want)
	var got, wantV map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out)
	}
	_ = json.Unmarshal(wantJSON, &wantV)
	if got["kind"] != "har" || len(got["messages"].([]any)) != 2 || !reflect.DeepEqual(got, wantV) {
		t.Errorf("streamed JSON:\n%s\nwant the content of:\n%s", out, wantJSON)
	}
	if !strings.HasPrefix(out, "{\n  \"kind\": \"har\",\n  \"messages\": [\n    {\n      \"kind\": \"saml-authn-request\",") {
		t.Errorf("output does not open with kind and messages:\n%.200s", out)
	}
}

// A HAR cut short on standard input: the reports of the entries before the cut, and
// one sentence saying where it broke; the text output streams too.
func TestInspectHARStreamTruncated(t *testing.T) {
	b, err := os.ReadFile(harFixture)
	if err != nil {
		t.Fatal(err)
	}
	cut := strings.Index(string(b), `"SAMLResponse`)
	if cut < 0 {
		t.Fatal("no SAMLResponse in the fixture")
	}
	code, out, _ := runCmd(t, string(b[:cut]), "inspect", "--now", "2026-11-23T09:00:00Z", "-")
	if code != exitWrong {
		t.Errorf("exit %d, want %d", code, exitWrong)
	}
	if !strings.Contains(out, "── message 1 ──") || strings.Contains(out, "── message 2 ──") || !strings.Contains(out, "SAML AuthnRequest") {
		t.Errorf("want the AuthnRequest's report alone:\n%s", out)
	}
	if n := strings.Count(out, "input-malformed"); n != 1 || !strings.Contains(out, "The capture breaks off or is garbled in HAR entry") {
		t.Errorf("want one input-malformed finding saying where the HAR broke:\n%s", out)
	}
	code, out, _ = runCmd(t, string(b[:cut]), "inspect", "--json", "--now", "2026-11-23T09:00:00Z", "-")
	var got struct {
		Kind     string
		Verdict  string
		Messages []json.RawMessage
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || got.Kind != "har" || len(got.Messages) != 1 || got.Verdict != inspect.VerdictError || code != exitWrong {
		t.Errorf("--json of a truncated HAR: %v %+v exit %d\n%s", err, got, code, out)
	}
}

// JSON that is not a capture is still read whole and inspected as before.
func TestInspectNonCaptureJSON(t *testing.T) {
	code, out, errOut := runCmd(t, ` {"error":"invalid_grant","error_description":"AADSTS70008: The provided authorization code has expired."}`, "inspect", "--json", "-")
	if code == exitUsage || !strings.Contains(out, `"kind": "oidc-error"`) {
		t.Errorf("token error response: exit %d stderr %q\n%s", code, errOut, out)
	}
}
