package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ssowizard/ssowizard/inspect"
)

// verdictLine is the first line a person reads: the verdict in one word, then the
// report's headline and how the input was carried.
func verdictLine(r *inspect.Report) string {
	word := map[string]string{inspect.VerdictOK: "OK", inspect.VerdictWarning: "WARNINGS",
		inspect.VerdictUnverified: "UNVERIFIED", inspect.VerdictError: "REJECTED"}[r.Verdict]
	line := fmt.Sprintf("%-9s %s", word, r.Headline())
	if in := r.Input; in != nil && r.Kind != inspect.KindHAR {
		var via []string
		for _, s := range []string{in.Binding, in.Format} {
			if s != "" {
				via = append(via, s)
			}
		}
		if len(via) > 0 {
			line += " (" + strings.Join(via, ", ") + ")"
		}
	}
	return line
}

// writeReport prints a report for a person: verdict first, then findings with their
// fixes, then the facts, the signature and the claims.
func writeReport(w io.Writer, r *inspect.Report, withMessage bool) {
	p := &printer{w: w}
	p.report(r, withMessage, "")
}

type printer struct{ w io.Writer }

// minLabelWidth keeps the value column of short sections in line with the others.
const minLabelWidth = 16

func (p *printer) line(indent, format string, args ...any) {
	fmt.Fprintf(p.w, indent+format+"\n", args...)
}

// field prints "label  value", skipping empty values, with continuation lines under the
// value column.
func (p *printer) field(indent string, width int, label, value string) {
	if value == "" {
		return
	}
	lines := strings.Split(value, "\n")
	p.line(indent, "  %-*s %s", width, label, lines[0])
	for _, l := range lines[1:] {
		p.line(indent, "  %-*s %s", width, "", l)
	}
}

func (p *printer) report(r *inspect.Report, withMessage bool, indent string) {
	p.line(indent, "%s", verdictLine(r))
	if r.Source != nil {
		s := r.Source
		p.line(indent, "  from HAR entry %d: %s %s (%s)", s.Entry, s.Method, s.URL, s.Where)
	}
	if len(r.Findings) > 0 {
		p.line(indent, "")
		p.line(indent, "Findings")
		for _, f := range r.Findings {
			p.line(indent, "  %-8s %-26s %s", strings.ToUpper(string(f.Severity)), f.Code, f.Message)
			if f.Fix != "" {
				p.line(indent, "  %-8s %-26s fix: %s", "", "", f.Fix)
			}
		}
	}
	if len(r.Unverified) > 0 {
		p.line(indent, "")
		p.line(indent, "Not verified")
		for _, why := range r.Unverified {
			p.line(indent, "  %s", why)
		}
	}
	if len(r.NotChecked) > 0 {
		p.line(indent, "")
		p.line(indent, "Not checked (no expectation given)")
		for _, what := range r.NotChecked {
			p.line(indent, "  %s", what)
		}
	}
	facts := [][2]string{
		{"ID", r.ID},
		{"Issued", r.IssueInstant},
		{"Issuer", r.Issuer},
		{"Destination", r.Destination},
		{"InResponseTo", r.InResponseTo},
	}
	if s := r.Status; s != nil {
		v := s.Code
		if s.SubCode != "" {
			v += " / " + s.SubCode
		}
		if s.Message != "" {
			v += "\n" + s.Message
		}
		if s.AADSTS != nil {
			v += "\n" + s.AADSTS.Code + ": " + s.AADSTS.Meaning
		}
		facts = append(facts, [2]string{"Status", v})
	}
	if s := r.Subject; s != nil {
		v := s.NameID
		if s.Format != "" {
			v += "  (" + s.Format + ")"
		}
		facts = append(facts, [2]string{"Subject", v})
		if c := s.Confirmation; c != nil {
			facts = append(facts, [2]string{"Recipient", c.Recipient}, [2]string{"Confirm until", c.NotOnOrAfter})
		}
	}
	facts = append(facts,
		[2]string{"Audiences", strings.Join(r.Audiences, "\n")},
		[2]string{"Not before", r.NotBefore},
		[2]string{"Not on/after", r.NotOnOrAfter},
		[2]string{"Authn context", r.AuthnContext},
		[2]string{"Authn instant", r.AuthnInstant},
		[2]string{"Session index", r.SessionIndex},
	)
	if q := r.Request; q != nil {
		facts = append(facts,
			[2]string{"ACS URL", q.ACSURL},
			[2]string{"Binding", q.ProtocolBinding},
			[2]string{"NameID policy", q.NameIDPolicyFormat},
			[2]string{"Authn context", strings.Join(q.AuthnContextClassRefs, "\n")},
		)
	}
	if in := r.Input; in != nil {
		facts = append(facts, [2]string{"RelayState", in.RelayState}, [2]string{"SigAlg", in.SigAlg})
	}
	p.section(indent, "Message", facts)

	if m := r.Metadata; m != nil {
		rows := [][2]string{{"Entity ID", m.EntityID}, {"Role", m.Role}, {"Tenant", m.TenantID}, {"Valid until", m.ValidUntil}}
		for _, e := range m.SSOURLs {
			rows = append(rows, [2]string{"SSO URL", e.Location + "  (" + shortBinding(e.Binding) + ")"})
		}
		for _, e := range m.ACSURLs {
			rows = append(rows, [2]string{"ACS URL", e.Location + "  (" + shortBinding(e.Binding) + ")"})
		}
		for _, c := range m.Certificates {
			rows = append(rows, [2]string{"Certificate", fmt.Sprintf("%s\nSHA-256 %s\nvalid %s to %s", c.Subject, c.SHA256, c.NotBefore, c.NotAfter)})
		}
		p.section(indent, "Metadata", rows)
	}

	if s := r.Signature; s != nil {
		status := s.Status
		if s.TrustedBy != "" {
			status += " (trusted by " + s.TrustedBy + ")"
		}
		p.section(indent, "Signature", [][2]string{
			{"Status", status},
			{"Signed", strings.Join(s.Signed, ", ")},
			{"Algorithm", joinNonEmpty(" / digest ", s.Algorithm, s.DigestAlgorithm)},
			{"Key ID", s.KeyID},
			{"Certificate", s.CertSubject},
			{"SHA-256", s.CertSHA256},
			{"Expires", s.CertNotAfter},
		})
	}
	if len(r.Header) > 0 {
		var rows [][2]string
		for _, k := range []string{"alg", "kid", "x5t", "typ", "nonce"} {
			if v, ok := r.Header[k]; ok {
				rows = append(rows, [2]string{k, fmt.Sprint(v)})
			}
		}
		p.section(indent, "JWT header", rows)
	}
	if t := r.Token; t != nil {
		p.section(indent, "Token response", [][2]string{
			{"Token type", t.TokenType},
			{"Scope", t.Scope},
			{"Expires in", fmt.Sprintf("%d s", t.ExpiresIn)},
			{"Tokens", fmt.Sprintf("id_token %s, access_token %s, refresh_token %s", yesNo(t.HasIDToken), yesNo(t.HasAccessToken), yesNo(t.HasRefreshToken))},
		})
	}
	if len(r.Claims) > 0 {
		label := "Claims"
		if r.Kind != inspect.KindJWT && !r.ClaimsSigned {
			label = "Claims (NOT covered by a valid signature)"
		}
		rows := make([][2]string, 0, len(r.Claims))
		for _, c := range r.Claims {
			rows = append(rows, [2]string{c.Friendly, strings.Join(c.Values, "\n")})
		}
		p.section(indent, label, rows)
	}
	for i, m := range r.Messages {
		p.line(indent, "")
		p.line(indent, "── message %d of %d ──", i+1, len(r.Messages))
		p.report(m, withMessage, indent+"  ")
	}
	if withMessage && r.Pretty != "" {
		p.line(indent, "")
		p.line(indent, "Decoded message")
		for _, l := range strings.Split(strings.TrimRight(r.Pretty, "\n"), "\n") {
			p.line(indent, "  %s", l)
		}
	}
}

func (p *printer) section(indent, title string, rows [][2]string) {
	if !slices.ContainsFunc(rows, func(r [2]string) bool { return r[1] != "" }) {
		return
	}
	width := minLabelWidth
	for _, r := range rows {
		if r[1] != "" && len(r[0]) > width {
			width = len(r[0])
		}
	}
	p.line(indent, "")
	p.line(indent, "%s", title)
	for _, r := range rows {
		p.field(indent, width, r[0], r[1])
	}
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, s := range parts {
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, sep)
}

func shortBinding(b string) string {
	if i := strings.LastIndex(b, ":"); i >= 0 {
		return b[i+1:]
	}
	return b
}

func yesNo(b bool) string {
	if b {
		return "present"
	}
	return "absent"
}
