package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ssowizard/ssowizard/inspect"
)

// level is how a verdict or finding is coloured: through the theme's success,
// warning and error colours.
type level int

const (
	levelOK level = iota
	levelWarning
	levelError
)

// verdictLevel maps a report's verdict to its colour.
func verdictLevel(r *inspect.Report) level {
	switch r.Verdict {
	case inspect.VerdictError, inspect.VerdictUnverified:
		// Not verified is not OK: it is coloured as the exit status treats it.
		return levelError
	case "warning":
		return levelWarning
	}
	return levelOK
}

// severityLevel maps a finding's severity to its colour; information is neutral.
func severityLevel(s inspect.Severity) (level, bool) {
	switch s {
	case inspect.SeverityError:
		return levelError, true
	case inspect.SeverityWarning:
		return levelWarning, true
	}
	return levelOK, false
}

// row is one labelled value of the summary; Value is what the copy action copies.
type row struct {
	Label string
	Value string
}

// summaryRows lists what a report says about its message, in the order an admin
// reads it, leaving out what the message does not carry.
func summaryRows(r *inspect.Report) []row {
	var rows []row
	add := func(label, value string) {
		if value != "" {
			rows = append(rows, row{label, value})
		}
	}
	if s := r.Source; s != nil {
		add("Captured", fmt.Sprintf("entry %d: %s %s", s.Entry, s.Method, s.URL))
		if s.Status != 0 {
			add("HTTP status", fmt.Sprint(s.Status))
		}
		add("Found in", s.Where)
	}
	if in := r.Input; in != nil {
		add("Input", strings.TrimSpace(in.Format+" "+in.Binding))
		add("RelayState", in.RelayState)
	}
	add("Issuer", r.Issuer)
	add("Destination", r.Destination)
	add("In response to", r.InResponseTo)
	add("ID", r.ID)
	add("Issued", r.IssueInstant)
	if st := r.Status; st != nil {
		code := st.Code
		if st.SubCode != "" {
			code += " / " + st.SubCode
		}
		add("Status", code)
		add("Status message", st.Message)
		if a := st.AADSTS; a != nil {
			v := a.Code + ": " + a.Meaning
			if a.Fix != "" {
				v += " Fix: " + a.Fix
			}
			add("AADSTS", v)
		}
	}
	if sub := r.Subject; sub != nil {
		add("Subject NameID", sub.NameID)
		add("NameID format", sub.Format)
		if c := sub.Confirmation; c != nil {
			add("Recipient", c.Recipient)
		}
	}
	add("Audiences", strings.Join(r.Audiences, "\n"))
	add("Valid from", r.NotBefore)
	add("Valid until", r.NotOnOrAfter)
	add("Authentication", r.AuthnContext)
	if sig := r.Signature; sig != nil {
		add("Signature", sig.Status)
		add("Signed", strings.Join(sig.Signed, ", "))
		add("Algorithm", sig.Algorithm)
		add("Digest", sig.DigestAlgorithm)
		add("Certificate SHA-256", sig.CertSHA256)
		add("Certificate subject", sig.CertSubject)
		add("Certificate expires", sig.CertNotAfter)
		add("Key ID", sig.KeyID)
		add("Trusted by", sig.TrustedBy)
	}
	if req := r.Request; req != nil {
		add("ACS URL", req.ACSURL)
		add("Protocol binding", req.ProtocolBinding)
		add("NameID policy", req.NameIDPolicyFormat)
		add("Requested context", strings.Join(req.AuthnContextClassRefs, "\n"))
	}
	if md := r.Metadata; md != nil {
		add("Entity ID", md.EntityID)
		add("Role", md.Role)
		add("Tenant", md.TenantID)
		for _, e := range md.SSOURLs {
			add("Sign-on URL", e.Location+" ("+e.Binding+")")
		}
		for _, e := range md.ACSURLs {
			add("ACS URL", e.Location+" ("+e.Binding+")")
		}
		for _, c := range md.Certificates {
			add("Certificate", fmt.Sprintf("%s\nSHA-256 %s\nvalid %s to %s", c.Subject, c.SHA256, c.NotBefore, c.NotAfter))
		}
		add("Valid until", md.ValidUntil)
	}
	if tok := r.Token; tok != nil {
		add("Token type", tok.TokenType)
		add("Scope", tok.Scope)
	}
	return rows
}

// claimRow is one claim as the claims table shows it.
type claimRow struct {
	Friendly string
	Name     string
	Values   string
	About    string
}

// claimRows lists the claims, with the full name only where it differs from the friendly one.
func claimRows(r *inspect.Report) []claimRow {
	rows := make([]claimRow, 0, len(r.Claims))
	for _, c := range r.Claims {
		values := c.Values
		if epochClaims[c.Name] {
			values = make([]string, len(c.Values))
			for i, v := range c.Values {
				values[i] = withUTC(v)
			}
		}
		cr := claimRow{Friendly: c.Friendly, Name: c.Name, Values: strings.Join(values, "\n"), About: c.About}
		if cr.Friendly == "" {
			cr.Friendly = c.Name
		}
		if cr.Name == cr.Friendly {
			cr.Name = ""
		}
		rows = append(rows, cr)
	}
	return rows
}

// messageLabel names one message of a capture in the list.
func messageLabel(m *inspect.Report) string {
	where := ""
	if s := m.Source; s != nil {
		where = fmt.Sprintf("#%d %s %s", s.Entry, s.Method, s.URL)
	}
	return strings.TrimSpace(where + "\n" + m.Headline())
}

// findingText is a finding as copied: what is wrong, then the fix.
func findingText(f inspect.Finding) string {
	s := fmt.Sprintf("%s %s: %s", strings.ToUpper(string(f.Severity)), f.Code, f.Message)
	if f.Fix != "" {
		s += "\nFix: " + f.Fix
	}
	return s
}

// epochClaims are the JWT claims that hold a time as seconds since 1970 (RFC 7519).
var epochClaims = map[string]bool{"exp": true, "iat": true, "nbf": true, "auth_time": true}

// withUTC puts the readable UTC time beside a number of seconds since 1970; anything
// else is left as it is.
func withUTC(v string) string {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 || n > 253402300799 { // up to 9999-12-31
		return v
	}
	return v + " (" + time.Unix(n, 0).UTC().Format("2006-01-02 15:04:05 UTC") + ")"
}
