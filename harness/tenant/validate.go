package tenant

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
)

// pairwiseKeySize is the length of the generated pairwise key; HMAC-SHA256 gains nothing
// from more.
const pairwiseKeySize = 32

// complete fills in what a tenant file may leave out: IDs (random GUIDs from rnd), the
// pairwise key, defaults, and lower-case GUIDs and domain names so that references
// compare as Entra compares them. withSP also gives every app its service principal, as
// the portal does for an app registered there; Graph-created apps wait for their own.
func (t *Tenant) complete(rnd io.Reader, withSP bool) error {
	gen := func(p *string) error { return fillGUID(p, rnd) }
	if err := gen(&t.TenantID); err != nil {
		return err
	}
	if t.PairwiseKey == "" {
		key := make([]byte, pairwiseKeySize)
		if _, err := io.ReadFull(rnd, key); err != nil {
			return fmt.Errorf("generate pairwise key: %w", err)
		}
		t.PairwiseKey = base64.RawURLEncoding.EncodeToString(key)
	}
	for i := range t.Domains {
		t.Domains[i].Name = strings.ToLower(strings.TrimSpace(t.Domains[i].Name))
	}
	for i := range t.Users {
		u := &t.Users[i]
		if err := gen(&u.ID); err != nil {
			return err
		}
		lowerGUIDs(u.Groups)
		u.HomeTenantID = lowerGUID(u.HomeTenantID)
		if u.DisplayName == "" {
			u.DisplayName = strings.TrimSpace(u.GivenName + " " + u.Surname)
		}
		if u.DisplayName == "" {
			u.DisplayName, _, _ = strings.Cut(u.UPN, "@")
		}
	}
	for i := range t.Groups {
		g := &t.Groups[i]
		if err := gen(&g.ID); err != nil {
			return err
		}
		if g.Type == "" {
			g.Type = GroupSecurity
		}
		lowerGUIDs(g.Groups)
	}
	for i := range t.Apps {
		if err := t.Apps[i].complete(rnd, withSP); err != nil {
			return err
		}
	}
	return nil
}

// fillGUID gives an empty ID a random GUID from rnd and lower-cases any GUID, so that
// references compare as Entra compares them.
func fillGUID(p *string, rnd io.Reader) error {
	if *p == "" {
		id, err := NewGUID(rnd)
		if err != nil {
			return err
		}
		*p = id
	}
	*p = lowerGUID(*p)
	return nil
}

func (a *App) complete(rnd io.Reader, withSP bool) error {
	gen := func(p *string) error { return fillGUID(p, rnd) }
	if err := gen(&a.AppID); err != nil {
		return err
	}
	if err := gen(&a.ObjectID); err != nil {
		return err
	}
	if withSP || a.ServicePrincipalID != "" {
		if err := gen(&a.ServicePrincipalID); err != nil {
			return err
		}
	}
	if a.SignInAudience == "" {
		a.SignInAudience = AudienceMyOrg
	}
	if a.GroupClaims == "" {
		a.GroupClaims = GroupClaimsNone
	}
	if a.SAML.Sign == "" {
		a.SAML.Sign = SignAssertion
	}
	if a.SAML.Algorithm == "" {
		a.SAML.Algorithm = AlgorithmSHA256
	}
	if a.SAML.NameID == "" {
		a.SAML.NameID = NameIDUPN
	}
	lowerGUIDs(a.Assignments)
	for i := range a.Secrets {
		s := &a.Secrets[i]
		if err := gen(&s.KeyID); err != nil {
			return err
		}
		if s.Hint == "" {
			s.Hint = hintOf(s.Value)
		}
	}
	for i := range a.SAML.Certificates {
		c := &a.SAML.Certificates[i]
		if err := gen(&c.KeyID); err != nil {
			return err
		}
		c.Thumbprint = strings.ToUpper(c.Thumbprint)
	}
	return nil
}

func lowerGUID(s string) string {
	if IsGUID(s) {
		return strings.ToLower(s)
	}
	return s
}

func lowerGUIDs(ss []string) {
	for i, s := range ss {
		ss[i] = lowerGUID(s)
	}
}

// Validate checks that the tenant is whole and consistent: every rule the tenant file
// states. It returns the first problem found (domains, then groups, users and apps, each
// in list order) as a *FieldError.
func (t *Tenant) Validate() error {
	v := validator{t: t, objects: map[string]string{}}
	v.tenant()
	if v.err != nil {
		return v.err
	}
	return nil
}

type validator struct {
	t   *Tenant
	err *FieldError
	// objects maps each directory object ID to the path that defined it: users, groups,
	// applications and service principals share one ID space in Entra.
	objects map[string]string
	domains map[string]*Domain
	groups  map[string]*Group
	users   map[string]*User
}

// fail records the first problem only; later checks see v.err and the caller stops.
func (v *validator) fail(path, format string, args ...any) {
	if v.err == nil {
		v.err = &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)}
	}
}

func (v *validator) guid(path, id string) bool {
	if id == "" {
		v.fail(path, "is missing; give a GUID or leave the field out to have one generated")
		return false
	}
	if !IsGUID(id) {
		v.fail(path, "%q is not a GUID (8-4-4-4-12 hexadecimal digits)", id)
		return false
	}
	return true
}

func (v *validator) object(path, id string) {
	if !v.guid(path, id) {
		return
	}
	if prev, ok := v.objects[id]; ok {
		v.fail(path, "%q is already the id of %s; object IDs are unique in a tenant", id, prev)
		return
	}
	v.objects[id] = path
}

func (v *validator) tenant() {
	t := v.t
	if !v.guid("tenant_id", t.TenantID) {
		return
	}
	if strings.TrimSpace(t.DisplayName) == "" {
		v.fail("display_name", "is empty; give the tenant the organisation's name")
		return
	}
	if key, err := base64.RawURLEncoding.DecodeString(t.PairwiseKey); err != nil || len(key) < 16 {
		v.fail("pairwise_key", "is not base64url (unpadded) of at least 16 bytes; leave it out to have one generated")
		return
	}
	v.scenarios("scenarios", t.Scenarios)
	v.domainList()
	if v.err != nil {
		return
	}
	// Groups first: users and apps refer to them.
	v.groups = map[string]*Group{}
	for i := 0; i < len(t.Groups) && v.err == nil; i++ {
		v.group(i)
	}
	v.groupCycles()
	v.users = map[string]*User{}
	upns := map[string]string{}
	mails := map[string]string{}
	for i := 0; i < len(t.Users) && v.err == nil; i++ {
		v.user(i, upns, mails)
	}
	appIDs := map[string]string{}
	identifiers := map[string]string{}
	for i := 0; i < len(t.Apps) && v.err == nil; i++ {
		v.app(i, appIDs, identifiers)
	}
}

func (v *validator) domainList() {
	t := v.t
	if len(t.Domains) == 0 {
		v.fail("domains", "is empty; a tenant has at least its initial *.onmicrosoft.com domain")
		return
	}
	v.domains = map[string]*Domain{}
	initial, def := -1, -1
	for i := range t.Domains {
		d := &t.Domains[i]
		p := fmt.Sprintf("domains[%d]", i)
		if !isDomainName(d.Name) {
			v.fail(p+".name", "%q is not a domain name", d.Name)
			return
		}
		if _, dup := v.domains[d.Name]; dup {
			v.fail(p+".name", "%q is listed twice", d.Name)
			return
		}
		v.domains[d.Name] = d
		if d.Initial {
			switch {
			case initial >= 0:
				v.fail(p+".initial", "a tenant has one initial domain and domains[%d] is already initial", initial)
			case !strings.HasSuffix(d.Name, ".onmicrosoft.com"):
				v.fail(p+".initial", "%q cannot be the initial domain; the initial domain is the tenant's *.onmicrosoft.com name", d.Name)
			case !d.Verified:
				v.fail(p+".verified", "the initial domain is always verified; set \"verified\": true")
			}
			initial = i
		}
		if d.Default {
			switch {
			case def >= 0:
				v.fail(p+".default", "a tenant has one default domain and domains[%d] is already default", def)
			case !d.Verified:
				v.fail(p+".default", "%q is not verified, and only a verified domain can be the default", d.Name)
			}
			def = i
		}
		if v.err != nil {
			return
		}
	}
	if initial < 0 {
		v.fail("domains", "no domain is initial; mark the *.onmicrosoft.com domain \"initial\": true")
	} else if def < 0 {
		v.fail("domains", "no domain is default; mark one verified domain \"default\": true")
	}
}

// isDomainName accepts lower-case DNS names of two labels or more.
func isDomainName(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func (v *validator) group(i int) {
	g := &v.t.Groups[i]
	p := fmt.Sprintf("groups[%d]", i)
	v.object(p+".id", g.ID)
	if v.err != nil {
		return
	}
	v.groups[g.ID] = g
	if strings.TrimSpace(g.DisplayName) == "" {
		v.fail(p+".display_name", "is empty; every group has a display name")
	}
	switch g.Type {
	case GroupSecurity, GroupMicrosoft365, GroupDistribution:
	default:
		v.fail(p+".type", "%q is not one of security, microsoft365, distribution", g.Type)
	}
}

// groupCycles checks the groups' own memberships, once all groups are known: each must
// name a defined group, not itself, and nesting must not loop (Entra refuses that).
func (v *validator) groupCycles() {
	if v.err != nil {
		return
	}
	for i := range v.t.Groups {
		g := &v.t.Groups[i]
		v.memberships(fmt.Sprintf("groups[%d].groups", i), g.Groups, g.ID)
		if v.err != nil {
			return
		}
	}
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(id string) []string
	visit = func(id string) []string {
		state[id] = active
		stack = append(stack, id)
		for _, parent := range v.groups[id].Groups {
			switch state[parent] {
			case active:
				start := slices.Index(stack, parent)
				return append(slices.Clone(stack[start:]), parent)
			case unseen:
				if cycle := visit(parent); cycle != nil {
					return cycle
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[id] = done
		return nil
	}
	for i := range v.t.Groups {
		id := v.t.Groups[i].ID
		if state[id] != unseen {
			continue
		}
		if cycle := visit(id); cycle != nil {
			names := make([]string, len(cycle))
			for k, c := range cycle {
				names[k] = fmt.Sprintf("%q", v.groups[c].DisplayName)
			}
			j := slices.IndexFunc(v.t.Groups, func(g Group) bool { return g.ID == cycle[0] })
			k := slices.Index(v.t.Groups[j].Groups, cycle[1])
			v.fail(fmt.Sprintf("groups[%d].groups[%d]", j, k), "membership loops back on itself (%s); nested groups cannot form a cycle", strings.Join(names, " in "))
			return
		}
	}
}

// memberships checks a list of direct group memberships; self is the member's own ID.
func (v *validator) memberships(path string, ids []string, self string) {
	seen := map[string]bool{}
	for k, id := range ids {
		p := fmt.Sprintf("%s[%d]", path, k)
		switch {
		case id == self:
			v.fail(p, "a group cannot be a member of itself")
		case v.groups[id] == nil:
			v.fail(p, "group %q is not defined in groups", id)
		case seen[id]:
			v.fail(p, "group %q is listed twice", id)
		}
		if v.err != nil {
			return
		}
		seen[id] = true
	}
}

func (v *validator) user(i int, upns, mails map[string]string) {
	u := &v.t.Users[i]
	p := fmt.Sprintf("users[%d]", i)
	v.object(p+".id", u.ID)
	if v.err != nil {
		return
	}
	v.users[u.ID] = u
	local, domain, ok := strings.Cut(u.UPN, "@")
	switch {
	case u.UPN == "":
		v.fail(p+".upn", "is missing; every user has a user principal name (name@domain)")
	case !ok || local == "" || strings.ContainsAny(domain, "@ ") || strings.ContainsAny(local, " "):
		v.fail(p+".upn", "%q is not a user principal name (name@domain)", u.UPN)
	case v.domains[strings.ToLower(domain)] == nil:
		v.fail(p+".upn", "domain %q is not a domain of this tenant; use one listed in domains", domain)
	case !v.domains[strings.ToLower(domain)].Verified:
		v.fail(p+".upn", "domain %q is not verified, so no user can have it in their UPN", domain)
	}
	if v.err != nil {
		return
	}
	key := strings.ToLower(u.UPN)
	if prev, dup := upns[key]; dup {
		v.fail(p+".upn", "%q is already the upn of %s", u.UPN, prev)
		return
	}
	upns[key] = p
	if u.Mail != "" {
		if !isMail(u.Mail) {
			v.fail(p+".mail", "%q is not an email address", u.Mail)
			return
		}
		key := strings.ToLower(u.Mail)
		if prev, dup := mails[key]; dup {
			v.fail(p+".mail", "%q is already the mail of %s", u.Mail, prev)
			return
		}
		mails[key] = p
	}
	if u.Guest && u.Mail == "" {
		v.fail(p+".mail", "is missing; a guest needs the address they were invited with")
		return
	}
	if u.HomeTenantID != "" {
		switch {
		case !u.Guest:
			v.fail(p+".home_tenant_id", "only a guest has a home tenant; set \"guest\": true or remove it")
		case !IsGUID(u.HomeTenantID):
			v.fail(p+".home_tenant_id", "%q is not a GUID", u.HomeTenantID)
		case u.HomeTenantID == v.t.TenantID:
			v.fail(p+".home_tenant_id", "is this tenant; a guest's home tenant is another one")
		}
		if v.err != nil {
			return
		}
	}
	v.memberships(p+".groups", u.Groups, u.ID)
}

func isMail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(domain, "@") &&
		!strings.ContainsAny(s, " \t\r\n<>")
}

func (v *validator) app(i int, appIDs, identifiers map[string]string) {
	a := &v.t.Apps[i]
	p := fmt.Sprintf("apps[%d]", i)
	if !v.guid(p+".app_id", a.AppID) {
		return
	}
	if prev, dup := appIDs[a.AppID]; dup {
		v.fail(p+".app_id", "%q is already the app_id of %s", a.AppID, prev)
		return
	}
	appIDs[a.AppID] = p
	v.object(p+".object_id", a.ObjectID)
	if a.ServicePrincipalID != "" {
		v.object(p+".service_principal_id", a.ServicePrincipalID)
	}
	if v.err != nil {
		return
	}
	if strings.TrimSpace(a.DisplayName) == "" {
		v.fail(p+".display_name", "is empty; every app has a display name")
		return
	}
	switch a.SignInAudience {
	case AudienceMyOrg, AudienceMultipleOrgs, AudienceMultipleOrgsAndMSA, AudiencePersonalMicrosoftOnly:
	default:
		v.fail(p+".sign_in_audience", "%q is not one of %s, %s, %s, %s", a.SignInAudience,
			AudienceMyOrg, AudienceMultipleOrgs, AudienceMultipleOrgsAndMSA, AudiencePersonalMicrosoftOnly)
		return
	}
	seen := map[string]bool{}
	for k, uri := range a.RedirectURIs {
		q := fmt.Sprintf("%s.redirect_uris[%d]", p, k)
		if msg := checkRedirectURI(uri); msg != "" {
			v.fail(q, "%s", msg)
			return
		}
		if seen[uri] {
			v.fail(q, "%q is listed twice", uri)
			return
		}
		seen[uri] = true
	}
	for k, uri := range a.IdentifierURIs {
		q := fmt.Sprintf("%s.identifier_uris[%d]", p, k)
		if msg := checkIdentifierURI(uri); msg != "" {
			v.fail(q, "%s", msg)
			return
		}
		if prev, dup := identifiers[uri]; dup {
			v.fail(q, "%q is already an identifier URI of %s; an identifier (Entity ID) is unique in the tenant", uri, prev)
			return
		}
		identifiers[uri] = q
	}
	v.secrets(p, a.Secrets)
	v.saml(p+".saml", &a.SAML)
	if v.err != nil {
		return
	}
	switch a.GroupClaims {
	case GroupClaimsNone, GroupClaimsSecurity, GroupClaimsAll:
	default:
		v.fail(p+".group_claims", "%q is not one of none, security, all", a.GroupClaims)
		return
	}
	claims := map[string]bool{}
	for k, c := range a.OptionalClaims {
		q := fmt.Sprintf("%s.optional_claims[%d]", p, k)
		if !slices.Contains(optionalClaimNames, c) {
			v.fail(q, "%q is not an optional claim Entra offers (%s)", c, strings.Join(optionalClaimNames, ", "))
			return
		}
		if claims[c] {
			v.fail(q, "%q is listed twice", c)
			return
		}
		claims[c] = true
	}
	assigned := map[string]bool{}
	for k, id := range a.Assignments {
		q := fmt.Sprintf("%s.assignments[%d]", p, k)
		switch {
		case a.ServicePrincipalID == "":
			v.fail(q, "the app has no service principal yet, and assignments belong to it")
		case v.users[id] == nil && v.groups[id] == nil:
			v.fail(q, "%q is neither a user nor a group of this tenant", id)
		case assigned[id]:
			v.fail(q, "%q is assigned twice", id)
		}
		if v.err != nil {
			return
		}
		assigned[id] = true
	}
	perms := map[string]bool{}
	for k, perm := range a.GraphPermissions {
		q := fmt.Sprintf("%s.graph_permissions[%d]", p, k)
		switch {
		case !isPermissionName(perm):
			v.fail(q, "%q is not a permission name such as User.Read.All", perm)
		case perms[perm]:
			v.fail(q, "%q is listed twice", perm)
		}
		if v.err != nil {
			return
		}
		perms[perm] = true
	}
	switch a.PreferredSSOMode {
	case "", "saml", "oidc", "password", "notSupported":
	default:
		v.fail(p+".preferred_sso_mode", "%q is not one of saml, oidc, password, notSupported (or empty)", a.PreferredSSOMode)
		return
	}
	v.scenarios(p+".scenarios", a.Scenarios)
}

// isPermissionName accepts Graph permission values: dot-separated words of letters and
// digits, as User.Read.All or Application.ReadWrite.OwnedBy.
func isPermissionName(s string) bool {
	if s == "" || len(s) > 120 {
		return false
	}
	for _, w := range strings.Split(s, ".") {
		if w == "" {
			return false
		}
		for _, r := range w {
			if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

func (v *validator) secrets(p string, secrets []Secret) {
	ids := map[string]bool{}
	for k := range secrets {
		s := &secrets[k]
		q := fmt.Sprintf("%s.secrets[%d]", p, k)
		if !v.guid(q+".key_id", s.KeyID) {
			return
		}
		switch {
		case ids[s.KeyID]:
			v.fail(q+".key_id", "%q is the key_id of another secret of this app", s.KeyID)
		case s.Value == "":
			v.fail(q+".value", "is missing; a secret needs its value")
		case s.Hint != hintOf(s.Value):
			v.fail(q+".hint", "%q is not the first three characters of the value", s.Hint)
		case s.End.IsZero():
			v.fail(q+".end", "is missing; every secret expires (an RFC3339 time)")
		case !s.Start.IsZero() && !s.Start.Before(s.End):
			v.fail(q+".end", "%s is not after the start %s", s.End.Format(timeLayout), s.Start.Format(timeLayout))
		}
		if v.err != nil {
			return
		}
		ids[s.KeyID] = true
	}
}

const timeLayout = "2006-01-02T15:04:05Z07:00"

func (v *validator) saml(p string, s *SAML) {
	switch {
	case !slices.Contains([]string{SignAssertion, SignResponse, SignBoth}, s.Sign):
		v.fail(p+".sign", "%q is not one of assertion, response, both", s.Sign)
	case !slices.Contains([]string{AlgorithmSHA256, AlgorithmSHA1}, s.Algorithm):
		v.fail(p+".algorithm", "%q is not one of sha256, sha1", s.Algorithm)
	case !slices.Contains([]string{NameIDUPN, NameIDMail, NameIDObjectID, NameIDPersistent}, s.NameID):
		v.fail(p+".name_id", "%q is not one of upn, mail, objectid, persistent", s.NameID)
	case s.EncryptionCert != "" && !isCertPEM(s.EncryptionCert):
		v.fail(p+".encryption_cert", "is not a PEM certificate (-----BEGIN CERTIFICATE-----)")
	case s.LogoutURL != "" && checkRedirectURI(s.LogoutURL) != "":
		v.fail(p+".logout_url", "%s", checkRedirectURI(s.LogoutURL))
	case s.VerificationCert != "" && !isCertPEM(s.VerificationCert):
		v.fail(p+".verification_cert", "is not a PEM certificate (-----BEGIN CERTIFICATE-----)")
	case s.RequireSignedRequests && s.VerificationCert == "":
		v.fail(p+".require_signed_requests", "needs verification_cert, the SP's certificate that signed requests are checked against")
	}
	if v.err != nil || len(s.Certificates) == 0 {
		return
	}
	ids := map[string]bool{}
	active := -1
	for k := range s.Certificates {
		c := &s.Certificates[k]
		q := fmt.Sprintf("%s.certificates[%d]", p, k)
		if !v.guid(q+".key_id", c.KeyID) {
			return
		}
		switch {
		case ids[c.KeyID]:
			v.fail(q+".key_id", "%q is the key_id of another certificate of this app", c.KeyID)
		case c.End.IsZero():
			v.fail(q+".end", "is missing; every signing certificate expires (an RFC3339 time)")
		case !c.Start.IsZero() && !c.Start.Before(c.End):
			v.fail(q+".end", "%s is not after the start %s", c.End.Format(timeLayout), c.Start.Format(timeLayout))
		case c.Thumbprint != "" && !isThumbprint(c.Thumbprint):
			v.fail(q+".thumbprint", "%q is not a SHA-1 thumbprint (40 hexadecimal digits)", c.Thumbprint)
		case c.Active && active >= 0:
			v.fail(q+".active", "certificates[%d] is already active; one certificate signs at a time", active)
		}
		if v.err != nil {
			return
		}
		ids[c.KeyID] = true
		if c.Active {
			active = k
		}
	}
	if active < 0 {
		v.fail(p+".certificates", "no certificate is active; mark the one that signs \"active\": true")
	}
}

func isThumbprint(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func isCertPEM(s string) bool {
	block, _ := pem.Decode([]byte(s))
	if block == nil || block.Type != "CERTIFICATE" {
		return false
	}
	_, err := x509.ParseCertificate(block.Bytes)
	return err == nil
}

func (v *validator) scenarios(p string, names []string) {
	seen := map[string]bool{}
	for k, n := range names {
		q := fmt.Sprintf("%s[%d]", p, k)
		if !slices.Contains(scenarioNames, n) {
			v.fail(q, "%q is not a scenario (%s)", n, strings.Join(scenarioNames, ", "))
			return
		}
		if seen[n] {
			v.fail(q, "%q is listed twice", n)
			return
		}
		seen[n] = true
	}
}

// scenarioNames are the named faults of DESIGN.md. The idp package gives them their
// effect; a new one is added here first so tenant files may name it.
var scenarioNames = []string{
	"clock-skew", "expired-cert", "cert-rollover", "sha1", "sign-response", "sign-both",
	"unsigned", "groups-overage", "no-email", "guest-user", "transient-nameid", "old-session", "mfa-session",
	"consent-required", "expired-secret", "slow",
}

// Scenarios returns the scenario names a tenant file may apply.
func Scenarios() []string { return slices.Clone(scenarioNames) }

// optionalClaimNames are the optional claims Entra's token configuration offers for ID
// and access tokens.
var optionalClaimNames = []string{
	"acct", "auth_time", "ctry", "email", "family_name", "fwd", "given_name", "groups",
	"idtyp", "in_corp", "ipaddr", "login_hint", "onprem_sid", "preferred_username",
	"pwd_exp", "pwd_url", "sid", "tenant_ctry", "tenant_region_scope", "upn",
	"verified_primary_email", "verified_secondary_email", "vnet", "xms_cc", "xms_edov",
	"xms_pdl", "xms_pl", "xms_tpl", "ztdid",
}

// checkRedirectURI returns why uri cannot be a web redirect URI, or "".
func checkRedirectURI(uri string) string {
	if uri == "" {
		return "is empty"
	}
	if len(uri) > 256 {
		return fmt.Sprintf("is %d characters long; Entra accepts at most 256", len(uri))
	}
	if strings.Contains(uri, "*") {
		return fmt.Sprintf("%q has a wildcard, which Entra does not accept in a redirect URI", uri)
	}
	u, err := url.Parse(uri)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return fmt.Sprintf("%q is not an absolute URL", uri)
	}
	if u.Fragment != "" || strings.Contains(uri, "#") {
		return fmt.Sprintf("%q has a fragment (#…), which a redirect URI cannot have", uri)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && (u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1"):
	default:
		return fmt.Sprintf("%q must use https (http is accepted only for localhost and 127.0.0.1)", uri)
	}
	return ""
}

// checkIdentifierURI returns why uri cannot be an identifier URI (Entity ID), or "".
func checkIdentifierURI(uri string) string {
	if uri == "" {
		return "is empty"
	}
	if strings.ContainsAny(uri, " \t\r\n") {
		return fmt.Sprintf("%q contains white space", uri)
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" {
		return fmt.Sprintf("%q is not a URI (such as https://vendor.example/saml, api://… or urn:…)", uri)
	}
	return ""
}
