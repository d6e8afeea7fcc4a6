package inspect_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"

	"github.com/ssowizard/ssowizard/inspect"
	"github.com/ssowizard/ssowizard/inspect/internal/fixtures"
)

// inspectorDifferences are cases where the inspector and crewjam/saml are meant to
// disagree, beyond fixtures.CrewjamDifferences (where crewjam accepts safely what the
// inspector reports as an error), each with its reason.
var inspectorDifferences = map[string]string{
	"encrypted-no-key": "without the SP's key nothing inside can be checked: crewjam, as the SP, must reject; " +
		"the inspector, as an offline reader, warns that it could not look and asks for the key",
	"expired-cert": "SPs differ here: goxmldsig (so crewjam) rejects a signature by an expired certificate, while " +
		"Shibboleth and many vendors ignore the expiry of a pinned key; the inspector warns so the admin rolls the certificate over",
	"comment-in-nameid": "crewjam reads the NameID through encoding/xml, which joins the text around the comment, so it is " +
		"not fooled and accepts; the inspector calls a comment inside a signed NameID an error because Entra never emits one " +
		"and it is the signature of the CVE-2017-11427 attack on SPs that read only the first text node",
}

// TestDifferentialCrewjam rebuilds every SAML login case at the real time (crewjam reads
// the clock through package globals that tests must not change) and checks that the
// inspector rejects exactly what crewjam/saml's ServiceProvider rejects, configured the
// same way. An independent SP agreeing on accept/reject is the evidence that the
// inspector's verdicts are an SP's verdicts.
func TestDifferentialCrewjam(t *testing.T) {
	keys, err := fixtures.LoadKeys(filepath.Join("testdata", "keys"))
	if err != nil {
		t.Fatal(err)
	}
	cases, err := fixtures.Build(fixtures.Env{Now: time.Now(), Keys: keys, KeysDir: "../../keys"})
	if err != nil {
		t.Fatal(err)
	}
	// Live cases have no directory of their own; their relative paths resolve as if
	// they lay beside the committed ones.
	base := filepath.Join("testdata", "cases", "live")
	n := 0
	for _, c := range cases {
		if c.Response == nil || c.TrustCert == nil {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			opts, err := buildOptions(base, c.Params.Options, c.Files)
			if err != nil {
				t.Fatal(err)
			}
			r := inspect.Inspect(c.Input, opts)
			nameID, cjErr := fixtures.CrewjamParse(c)
			if cjErr == nil && slices.Contains(c.Params.Expect.AbsentValues, nameID) {
				t.Fatalf("crewjam accepted the attacker's identity %q", nameID)
			}
			inspErr := r.Verdict == "error"
			if inspErr == (cjErr != nil) {
				if cjErr == nil && r.Subject != nil && r.Subject.NameID != nameID {
					t.Errorf("both accept, but the inspector's subject is %q and crewjam's %q", r.Subject.NameID, nameID)
				}
				return
			}
			why, ok := fixtures.CrewjamDifferences[c.Name]
			if !ok {
				why, ok = inspectorDifferences[c.Name]
			}
			if ok {
				t.Logf("intended difference: %s", why)
				return
			}
			t.Errorf("inspector verdict %q (findings %v), crewjam error = %v: they must agree", r.Verdict, findingCodes(r), cjErr)
		})
	}
	if n < 20 {
		t.Errorf("only %d SAML cases compared, want at least 20", n)
	}
}

// TestDifferentialInterop runs crewjam on responses samlify signed moments ago (make
// interop), so a fresh response from an independent IdP gets both verdicts.
func TestDifferentialInterop(t *testing.T) {
	keys, err := fixtures.LoadKeys(filepath.Join("testdata", "keys"))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range interopDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			p, err := fixtures.ReadParams(dir)
			if err != nil {
				t.Fatal(err)
			}
			in, err := fixtures.InputPath(dir)
			if err != nil {
				t.Fatal(err)
			}
			input, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			xml, err := decodePOST(input)
			if err != nil {
				t.Fatal(err)
			}
			c := fixtures.Case{Name: filepath.Base(dir), Response: xml, TrustCert: keys.IdP, Params: *p}
			if _, err := fixtures.CrewjamParse(c); err != nil {
				t.Errorf("crewjam rejects samlify's response: %v", err)
			}
			opts, err := buildOptions(dir, p.Options, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r := inspect.Inspect(input, opts); r.Verdict == "error" {
				t.Errorf("inspector verdict error on samlify's response (findings %v); crewjam accepts it", findingCodes(r))
			}
		})
	}
}

// decodePOST undoes the HTTP-POST binding's base64.
func decodePOST(b []byte) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
}

// FuzzDifferentialCrewjam splices bytes into the SAML login cases' responses: whenever
// the inspector calls a response verified (a valid signature by the trusted key covering
// the claims) and as expected, crewjam/saml, configured as the same SP, must accept it
// and read the same NameID. An inspector that passes what an SP refuses, or shows
// another user than the one an SP signs in, fails here. The responses are rebuilt every
// half minute and the fuzzer's bytes spliced into a fresh one, because crewjam reads
// the real clock and refuses a response issued more than saml.MaxIssueDelay (90 s) ago.
func FuzzDifferentialCrewjam(f *testing.F) {
	keys, err := fixtures.LoadKeys(filepath.Join("testdata", "keys"))
	if err != nil {
		f.Fatal(err)
	}
	var cases []fixtures.Case
	var built time.Time
	build := func() error {
		all, err := fixtures.Build(fixtures.Env{Now: time.Now(), Keys: keys, KeysDir: "../../keys"})
		if err != nil {
			return err
		}
		cases = cases[:0]
		for _, c := range all {
			if c.Response != nil && c.TrustCert != nil {
				cases = append(cases, c)
			}
		}
		if len(cases) == 0 {
			return errors.New("no SAML login cases to mutate")
		}
		built = time.Now()
		return nil
	}
	if err := build(); err != nil {
		f.Fatal(err)
	}
	for i := range cases {
		f.Add(uint8(i), uint16(0), uint8(0), []byte{})
	}
	// Seeds that reach into the unsigned Response header and between its children.
	f.Add(uint8(0), uint16(16), uint8(0), []byte(` xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"`))
	f.Add(uint8(0), uint16(200), uint8(4), []byte(`<Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion"/>`))
	base := filepath.Join("testdata", "cases", "live")
	f.Fuzz(func(t *testing.T, which uint8, at uint16, cut uint8, insert []byte) {
		if time.Since(built) > 30*time.Second {
			if err := build(); err != nil {
				t.Fatal(err)
			}
		}
		c := cases[int(which)%len(cases)]
		pos := min(int(at), len(c.Response))
		end := min(pos+int(cut), len(c.Response))
		response := slices.Concat(c.Response[:pos], insert, c.Response[end:])
		opts, err := buildOptions(base, c.Params.Options, c.Files)
		if err != nil {
			t.Fatal(err)
		}
		r := inspect.Inspect(response, opts)
		verified := r.OK() && r.ClaimsSigned && r.Signature != nil && r.Signature.Status == inspect.SigValid &&
			r.Signature.TrustedBy != "" && r.Signature.TrustedBy != "embedded"
		if !verified || r.Has(inspect.CodeCertExpired) {
			return // expired-cert is an intended difference: see inspectorDifferences
		}
		// crewjam also refuses a Response issued more than saml.MaxIssueDelay (90 s) from
		// its clock, a policy of its own: SAML bounds delivery by the signed bearer
		// confirmation's NotOnOrAfter (Entra's: 5 minutes), which the inspector checks.
		// A mutated IssueInstant outside crewjam's window is that difference, not a bug.
		issued, err := time.Parse(time.RFC3339Nano, r.IssueInstant)
		if err != nil || time.Since(issued).Abs() > saml.MaxIssueDelay-10*time.Second {
			return
		}
		// The inspector reads a paste, so it trims the white space (and a BOM) around it;
		// an SP is handed the document itself, which is what the inspector verified.
		c.Response = bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(response), []byte("\uFEFF")))
		nameID, cjErr := fixtures.CrewjamParse(c)
		if cjErr != nil {
			t.Fatalf("the inspector verified a response (case %s, %d bytes cut at %d, %q inserted) that crewjam rejects: %v\nfindings %v", c.Name, cut, pos, insert, cjErr, findingCodes(r))
		}
		if r.Subject == nil || r.Subject.NameID != nameID {
			t.Fatalf("the inspector shows subject %+v, crewjam signs in %q", r.Subject, nameID)
		}
	})
}
