package sp_test

import (
	"context"
	"net"
	"slices"
	"strconv"
	"testing"

	"github.com/ssowizard/ssowizard/harness/tenant"
	"github.com/ssowizard/ssowizard/inspect"
	"github.com/ssowizard/ssowizard/sp"
)

// freeLoopbackACS is a loopback ACS on a port free a moment ago: an IdP-initiated
// response goes to the registered reply URL itself, port included.
func freeLoopbackACS(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return "http://127.0.0.1:" + strconv.Itoa(port) + "/saml/acs"
}

// An IdP-initiated login (My Apps, the Test button): the harness posts an unsolicited
// response with the app's relay state to the default reply URL; the SP accepts it only
// through LoginIdPInitiated, and says it was unsolicited (Login, SP-initiated, takes
// only the answer to its own request).
func TestSAMLIdPInitiated(t *testing.T) {
	srv := startHarness(t)
	acs := freeLoopbackACS(t)
	if _, err := srv.Store.UpdateApp(tenant.DemoAppID, func(a *tenant.App) error {
		a.RedirectURIs = append([]string{acs}, slices.DeleteFunc(a.RedirectURIs, func(u string) bool { return u == acs })...)
		a.SAML.RelayState = "/dashboard"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	o := newOpener(newBrowser(t, srv, alice, passwords[alice]))
	cfg := samlConfig(t, srv, o)
	cfg.ACS = acs
	s, err := sp.NewSAML(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.LoginIdPInitiated(context.Background(), srv.IdP.UserAccessURL(tenant.DemoAppID))
	if err != nil {
		t.Fatalf("LoginIdPInitiated: %v", err)
	}
	o.last(t)
	if !res.OK || !res.Unsolicited || res.RelayState != "/dashboard" {
		t.Fatalf("IdP-initiated: OK %v unsolicited %v relay %q; findings %v", res.OK, res.Unsolicited, res.RelayState, findingCodes(res))
	}
	if res.Report.InResponseTo != "" || !hasCode(res, sp.CodeUnsolicited) {
		t.Errorf("InResponseTo %q, findings %v: want none and the unsolicited finding", res.Report.InResponseTo, findingCodes(res))
	}
	if res.Report.Subject == nil || res.Report.Subject.NameID != alice || res.Report.Has(inspect.CodeInResponseToMismatch) {
		t.Errorf("subject %+v, findings %v", res.Report.Subject, findingCodes(res))
	}

	// Without the ACS's port there is nowhere Entra could post.
	cfg.ACS = ""
	s2, _ := sp.NewSAML(cfg)
	if _, err := s2.LoginIdPInitiated(context.Background(), srv.IdP.UserAccessURL(tenant.DemoAppID)); err == nil {
		t.Error("LoginIdPInitiated without a fixed ACS ran, want a refusal")
	}
}
