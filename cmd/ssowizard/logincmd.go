package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/pkg/browser"

	"github.com/ssowizard/ssowizard/inspect"
	"github.com/ssowizard/ssowizard/sp"
)

const loginAbout = `Perform one real test login through the embedded Service Provider, by OpenID Connect or SAML,
and explain what comes back: the claims, every problem with its fix, and for an error from Entra
the AADSTS code with what it means and what the admin changes.

OIDC: an authorization code flow with PKCE (S256), state and nonce; the code is redeemed with the
client secret, read ONLY from the environment variable --client-secret-env names (never a flag, so
it stays out of shell history and process lists). The ID token is verified against the JWKS.

SAML: an AuthnRequest by the HTTP-Redirect binding; the response is POSTed to the loopback ACS and
verified against every signing certificate in --idp-metadata (Entra's App Federation Metadata).

The answer comes back to this computer: the redirect URI or ACS must be http://127.0.0.1 with any
port (0 takes a free one; Entra ignores the port of loopback URIs), registered in Entra, for
example http://127.0.0.1/callback and http://127.0.0.1/saml/acs.

--browser system opens the system browser; --browser none prints the sign-in URL on stderr on a
line of its own starting "open: " and waits, for scripts and tests that play the browser.

--json prints the inspect report (the stable contract of 'ssowizard inspect --json') with
"login":"ok"|"failed" and, when Entra answered an error, "aadsts":{code, meaning, fix}.

Exit status: 0 the login succeeded with no error finding, 1 the login failed (an error from Entra,
a response that does not verify, no answer before --timeout, or cancelled), 2 usage error or a
login that could not be attempted (unreadable metadata, discovery failed, busy port).`

type loginFlags struct {
	protocol, authority, clientID, secretEnv, redirectURI, scopes string
	idpMetadata, entityID, acs, caCert, browserMode, tenant       string
	domain                                                        string
	timeout                                                       time.Duration
	json                                                          bool
}

// guidRe is a GUID: a Secret ID, not a secret value.
var guidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func runLogin(e *env, args []string) int {
	var f loginFlags
	fs := newFlagSet(e, "login", "--protocol oidc|saml [flags]", loginAbout)
	fs.StringVar(&f.protocol, "protocol", "", "`oidc` or saml")
	fs.StringVar(&f.authority, "authority", "", "OIDC: the issuer `URL`, https://login.microsoftonline.com/TENANT/v2.0 (or the harness's)")
	fs.StringVar(&f.clientID, "client-id", "", "OIDC: the Application (client) `ID`")
	fs.StringVar(&f.secretEnv, "client-secret-env", "", "OIDC: the environment `VAR` that holds the client secret value")
	fs.StringVar(&f.redirectURI, "redirect-uri", sp.DefaultOIDCRedirectURI, "OIDC: the loopback redirect `URI` to listen on")
	fs.StringVar(&f.scopes, "scopes", strings.Join(sp.DefaultScopes, " "), "OIDC: the `SCOPES` to ask for, space separated")
	fs.StringVar(&f.idpMetadata, "idp-metadata", "", "SAML: the IdP metadata `FILE|URL` (Entra's App Federation Metadata Url)")
	fs.StringVar(&f.entityID, "entity-id", "", "SAML: the SP's Entity `ID`, the Identifier registered in Entra")
	fs.StringVar(&f.acs, "acs", sp.DefaultACS, "SAML: the loopback ACS (Reply) `URL` to listen on")
	fs.StringVar(&f.caCert, "ca-cert", "", "also trust the CA certificate in `FILE` (the harness's ca.pem)")
	fs.StringVar(&f.browserMode, "browser", "system", "`system` opens the system browser; none prints the URL (open: URL) on stderr")
	fs.DurationVar(&f.timeout, "timeout", sp.DefaultTimeout, "wait at most `DURATION` for the browser to come back")
	fs.StringVar(&f.tenant, "tenant", "", "the tenant `ID` (GUID or verified domain) the answer must come from")
	fs.StringVar(&f.domain, "domain", "", "the `DOMAIN` the vendor expects users' UPNs in (the ticket's domain)")
	fs.BoolVar(&f.json, "json", false, "print one JSON object: the inspect report with login and aadsts")
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "ssowizard login: "+format+".\n", a...)
		return exitUsage
	}
	if len(pos) > 0 {
		return fail("unexpected argument %q; everything is given by flags", pos[0])
	}
	if f.timeout <= 0 {
		return fail("--timeout %s must be positive, such as 5m", f.timeout)
	}
	if f.browserMode != "system" && f.browserMode != "none" {
		return fail("--browser %q is not system or none", f.browserMode)
	}
	var ca []byte
	if f.caCert != "" {
		b, err := os.ReadFile(f.caCert)
		if err != nil {
			return fail("--ca-cert: %v", fileErr(err))
		}
		ca = b
	}
	fetch, err := newFetcher(ca)
	if err != nil {
		return fail("--ca-cert: %v", err)
	}
	// The token endpoint and a slow person typing a password are separate waits: the
	// HTTP client's own bound is for one request.
	common := sp.Common{HTTPClient: fetch.client, Timeout: f.timeout, Tenant: f.tenant, ExpectedDomain: f.domain}
	if f.browserMode == "none" {
		common.Open = func(u string) error {
			_, err := fmt.Fprintf(e.stderr, "open: %s\n", u)
			return err
		}
	} else {
		// What the browser launcher prints must not land in stdout, which carries the
		// report (--json); the command runs one login per process, so setting the
		// package's writer here races with nothing.
		browser.Stdout = e.stderr
		common.Open = func(u string) error {
			fmt.Fprintf(e.stderr, "Opening the browser; if none appears, open:\n%s\n", u)
			if err := browser.OpenURL(u); err != nil {
				// No browser (a server, no display): the URL above still works anywhere
				// on this computer, so keep waiting rather than give up.
				fmt.Fprintf(e.stderr, "ssowizard login: no browser could be opened (%v); open the URL above yourself.\n", err)
			}
			return nil
		}
	}

	parent := e.ctx
	if parent == nil {
		parent = context.Background()
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()

	var login func(context.Context) (*sp.Result, error)
	switch f.protocol {
	case "oidc":
		if f.authority == "" || f.clientID == "" {
			return fail("OIDC needs --authority and --client-id")
		}
		if f.secretEnv == "" {
			return fail("--client-secret-env is required: name the environment variable that holds the client secret value (the secret is never taken from a flag)")
		}
		secret := os.Getenv(f.secretEnv)
		if secret == "" {
			return fail("the environment variable %s is empty or not set: export it with the client secret Value from App registrations > Certificates & secrets", f.secretEnv)
		}
		if guidRe.MatchString(strings.TrimSpace(secret)) {
			fmt.Fprintf(e.stderr, "ssowizard login: warning: %s holds a GUID, which is a Secret ID, not a secret Value; Entra will answer AADSTS7000215.\n", f.secretEnv)
		}
		rp, err := sp.NewOIDC(ctx, sp.OIDCConfig{Common: common, Authority: f.authority, ClientID: f.clientID,
			ClientSecret: secret, RedirectURI: f.redirectURI, Scopes: strings.Fields(f.scopes)})
		if err != nil {
			return fail("%v", err)
		}
		login = rp.Login
	case "saml":
		if f.idpMetadata == "" || f.entityID == "" {
			return fail("SAML needs --idp-metadata and --entity-id")
		}
		md, err := readSource(ctx, fetch, f.idpMetadata)
		if err != nil {
			return fail("--idp-metadata: %v", err)
		}
		s, err := sp.NewSAML(sp.SAMLConfig{Common: common, IdPMetadata: md, EntityID: f.entityID, ACS: f.acs})
		if err != nil {
			return fail("--idp-metadata %s: %v", f.idpMetadata, err)
		}
		login = s.Login
	case "":
		return fail("--protocol is required: oidc or saml")
	default:
		return fail("--protocol %q is not oidc or saml", f.protocol)
	}

	res, err := login(ctx)
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(e.stderr, "ssowizard login: cancelled before the browser came back; nothing was proven.\n")
			return exitWrong
		}
		if oe := (*sp.OpenError)(nil); errors.As(err, &oe) {
			return fail("%v: open this URL yourself, or use --browser none: %s", err, oe.URL)
		}
		return fail("%v", err)
	}
	if f.json {
		if err := writeLoginJSON(e, res); err != nil {
			fmt.Fprintf(e.stderr, "ssowizard login: write the report: %v.\n", err)
			return exitUsage
		}
	} else {
		writeLogin(e, res)
	}
	if res.OK {
		return exitOK
	}
	return exitWrong
}

// loginJSON is the inspect report with the login's outcome beside its fields.
type loginJSON struct {
	*inspect.Report
	Login       string          `json:"login"`
	Protocol    string          `json:"protocol"`
	AADSTS      *inspect.AADSTS `json:"aadsts,omitempty"`
	RedirectURI string          `json:"redirect_uri"`
	RequestID   string          `json:"request_id,omitempty"`
	Timings     loginTimings    `json:"timings"`
	Groups      []string        `json:"groups,omitempty"`
	// ClaimSources says for each claim whether the ID token or userinfo carried it.
	ClaimSources []sp.ClaimSource `json:"claim_sources,omitempty"`
}

type loginTimings struct {
	CallbackMS int64 `json:"callback_ms"`
	VerifyMS   int64 `json:"verify_ms"`
	TotalMS    int64 `json:"total_ms"`
}

func outcome(res *sp.Result) string {
	if res.OK {
		return "ok"
	}
	return "failed"
}

func writeLoginJSON(e *env, res *sp.Result) error {
	res.Report.Pretty = ""
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(loginJSON{Report: res.Report, Login: outcome(res), Protocol: res.Protocol, AADSTS: res.AADSTS,
		RedirectURI: res.RedirectURI, RequestID: res.RequestID, Groups: res.Groups, ClaimSources: res.Claims,
		Timings: loginTimings{res.Callback.Milliseconds(), res.Verify.Milliseconds(), res.Total.Milliseconds()}})
}

// writeLogin prints the outcome for a person, then the report as inspect prints it.
func writeLogin(e *env, res *sp.Result) {
	word := "LOGIN OK"
	if !res.OK {
		word = "LOGIN FAILED"
	}
	fmt.Fprintf(e.stdout, "%s  %s test login through %s", word, strings.ToUpper(res.Protocol), res.RedirectURI)
	if res.Callback > 0 {
		fmt.Fprintf(e.stdout, " (browser back after %s, checked in %s)", res.Callback.Round(time.Millisecond), res.Verify.Round(time.Millisecond))
	}
	fmt.Fprintln(e.stdout)
	if a := res.AADSTS; a != nil {
		fmt.Fprintf(e.stdout, "\nEntra answered %s\n  %s\n  fix: %s\n", a.Code, a.Meaning, a.Fix)
	}
	if len(res.Claims) > 0 {
		fmt.Fprintf(e.stdout, "\nClaims as the app reads them (ID token and userinfo)\n")
		for _, c := range res.Claims {
			fmt.Fprintf(e.stdout, "  %-20s %-40v from %s\n", c.Name, c.Value, strings.ReplaceAll(c.From, "+", " and "))
		}
	}
	fmt.Fprintln(e.stdout)
	writeReport(e.stdout, res.Report, false)
}
