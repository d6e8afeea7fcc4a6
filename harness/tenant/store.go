package tenant

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ssowizard/ssowizard/entra"
)

// ErrExists is wrapped by Store methods asked to create what is already there.
var ErrExists = errors.New("already exists")

// Store holds a tenant for concurrent use: many readers (the login side) and writers
// (the Graph side). Every method is safe to call from any goroutine.
//
// Reads never see a tenant half-changed: a change is made on a copy, validated with the
// same checks as Parse, and published whole, or refused and forgotten. What lookups
// return are copies; changing them changes nothing in the store.
type Store struct {
	mu  sync.RWMutex
	v   *view     // replaced, never modified, once published
	rnd io.Reader // IDs and secrets for the Graph side's creations

	saveMu sync.Mutex // orders saves, so the last one written is the newest

	hooks    []func(*Tenant) // under mu
	notifyMu sync.Mutex      // serialises hook calls; holds notified
	notified uint64          // seq of the last view handed to the hooks
}

// view is one published state of the tenant with its indexes.
type view struct {
	t           *Tenant
	seq         uint64 // how many changes were published before this one
	pairwiseKey []byte
	domains     map[string]*Domain // lower-case name
	users       map[string]*User   // object ID
	upns        map[string]*User   // lower-case UPN
	mails       map[string]*User   // lower-case mail
	groups      map[string]*Group  // object ID
	apps        map[string]*App    // appId
	appObjects  map[string]*App    // application object ID
	appSPs      map[string]*App    // service principal object ID
	identifiers map[string]*App    // identifier URI, exact
}

func newView(t *Tenant) *view {
	key, _ := base64.RawURLEncoding.DecodeString(t.PairwiseKey) // Validate has checked it
	v := &view{
		t:           t,
		pairwiseKey: key,
		domains:     make(map[string]*Domain, len(t.Domains)),
		users:       make(map[string]*User, len(t.Users)),
		upns:        make(map[string]*User, len(t.Users)),
		mails:       make(map[string]*User, len(t.Users)),
		groups:      make(map[string]*Group, len(t.Groups)),
		apps:        make(map[string]*App, len(t.Apps)),
		appObjects:  make(map[string]*App, len(t.Apps)),
		appSPs:      make(map[string]*App, len(t.Apps)),
		identifiers: map[string]*App{},
	}
	for i := range t.Domains {
		v.domains[t.Domains[i].Name] = &t.Domains[i]
	}
	for i := range t.Users {
		u := &t.Users[i]
		v.users[u.ID] = u
		v.upns[strings.ToLower(u.UPN)] = u
		if u.Mail != "" {
			v.mails[strings.ToLower(u.Mail)] = u
		}
	}
	for i := range t.Groups {
		v.groups[t.Groups[i].ID] = &t.Groups[i]
	}
	for i := range t.Apps {
		a := &t.Apps[i]
		v.apps[a.AppID] = a
		v.appObjects[a.ObjectID] = a
		if a.ServicePrincipalID != "" {
			v.appSPs[a.ServicePrincipalID] = a
		}
		for _, id := range a.IdentifierURIs {
			v.identifiers[id] = a
		}
	}
	return v
}

// NewStore holds a copy of t, completed as Parse completes a file (missing IDs, defaults,
// lower-case GUIDs; no service principal is added) and checked. rnd supplies the IDs and
// secret values the store creates; nil means crypto/rand.
func NewStore(t *Tenant, rnd io.Reader) (*Store, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	c := t.Clone()
	if err := c.complete(rnd, false); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &Store{v: newView(c), rnd: rnd}, nil
}

func (s *Store) view() *view {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.v
}

// Snapshot returns a deep copy of the tenant as it is now.
func (s *Store) Snapshot() *Tenant { return s.view().t.Clone() }

// TenantID returns the tenant's GUID.
func (s *Store) TenantID() string { return s.view().t.TenantID }

// Save writes the tenant as it is now to path; see Save.
func (s *Store) Save(path string) error {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	return Save(path, s.view().t)
}

// Resolves reports whether the tenant segment of a login URL addresses this tenant, as
// Entra routes it: the tenant GUID (any case), a verified domain of the tenant (any
// case), or the multi-tenant aliases "organizations" and "common". An unverified
// domain does not resolve, and "consumers" (personal accounts only) never does.
func (s *Store) Resolves(tenantOrDomain string) bool {
	v := s.view()
	switch x := strings.ToLower(tenantOrDomain); {
	case x == "organizations" || x == "common":
		return true
	case entra.IsGUID(x):
		return x == v.t.TenantID
	default:
		d := v.domains[x]
		return d != nil && d.Verified
	}
}

// Domains returns the tenant's domains.
func (s *Store) Domains() []Domain { return slices.Clone(s.view().t.Domains) }

// Users returns every user, in file order.
func (s *Store) Users() []User {
	v := s.view()
	out := make([]User, len(v.t.Users))
	for i := range v.t.Users {
		out[i] = v.t.Users[i].clone()
	}
	return out
}

// Groups returns every group, in file order.
func (s *Store) Groups() []Group {
	v := s.view()
	out := make([]Group, len(v.t.Groups))
	for i := range v.t.Groups {
		out[i] = v.t.Groups[i].clone()
	}
	return out
}

// Apps returns every app, in file order.
func (s *Store) Apps() []App {
	v := s.view()
	out := make([]App, len(v.t.Apps))
	for i := range v.t.Apps {
		out[i] = v.t.Apps[i].clone()
	}
	return out
}

func userCopy(u *User) (User, bool) {
	if u == nil {
		return User{}, false
	}
	return u.clone(), true
}

func appCopy(a *App) (App, bool) {
	if a == nil {
		return App{}, false
	}
	return a.clone(), true
}

// UserByID finds a user by object ID (any case).
func (s *Store) UserByID(id string) (User, bool) {
	return userCopy(s.view().users[strings.ToLower(id)])
}

// UserByUPN finds a user by user principal name, ignoring case.
func (s *Store) UserByUPN(upn string) (User, bool) {
	return userCopy(s.view().upns[strings.ToLower(strings.TrimSpace(upn))])
}

// UserByMail finds a user by mail address, ignoring case.
func (s *Store) UserByMail(mail string) (User, bool) {
	return userCopy(s.view().mails[strings.ToLower(strings.TrimSpace(mail))])
}

// UserByLogin finds the account a sign-in name refers to, as Entra's login page does:
// a member by UPN; a guest by UPN or by the address they were invited with (their
// mail), since guests type their own address. Members cannot sign in with their mail
// (Entra's "email as an alternate login ID" is off by default).
func (s *Store) UserByLogin(login string) (User, bool) {
	v := s.view()
	key := strings.ToLower(strings.TrimSpace(login))
	if u := v.upns[key]; u != nil {
		return u.clone(), true
	}
	if u := v.mails[key]; u != nil && u.Guest {
		return u.clone(), true
	}
	return User{}, false
}

// CheckPassword reports whether password is u's, in constant time. A user without a
// password cannot sign in with one.
func CheckPassword(u User, password string) bool {
	return u.Password != "" && subtle.ConstantTimeCompare([]byte(u.Password), []byte(password)) == 1
}

// GroupByID finds a group by object ID (any case).
func (s *Store) GroupByID(id string) (Group, bool) {
	g := s.view().groups[strings.ToLower(id)]
	if g == nil {
		return Group{}, false
	}
	return g.clone(), true
}

// AppByID finds an app by its application (client) ID, any case.
func (s *Store) AppByID(appID string) (App, bool) {
	return appCopy(s.view().apps[strings.ToLower(appID)])
}

// AppByObjectID finds an app by its application object ID (Graph's /applications/{id}).
func (s *Store) AppByObjectID(id string) (App, bool) {
	return appCopy(s.view().appObjects[strings.ToLower(id)])
}

// AppByServicePrincipalID finds an app by its service principal's object ID (Graph's
// /servicePrincipals/{id}).
func (s *Store) AppByServicePrincipalID(id string) (App, bool) {
	return appCopy(s.view().appSPs[strings.ToLower(id)])
}

// AppByIdentifierURI finds the app whose identifier URIs (Entity IDs) include uri,
// compared exactly: how a SAML AuthnRequest's Issuer selects the app (else AADSTS700016).
func (s *Store) AppByIdentifierURI(uri string) (App, bool) {
	return appCopy(s.view().identifiers[uri])
}

// MatchRedirectURI matches requested against the app's redirect URIs as Entra does
// (entra.MatchRedirectURI).
func (a *App) MatchRedirectURI(requested string) (string, bool) {
	return entra.MatchRedirectURI(a.RedirectURIs, requested)
}

func (v *view) app(appID string) (*App, error) {
	a := v.apps[strings.ToLower(appID)]
	if a == nil {
		return nil, fmt.Errorf("app %q: %w", appID, ErrNotFound)
	}
	return a, nil
}

func (v *view) user(userID string) (*User, error) {
	u := v.users[strings.ToLower(userID)]
	if u == nil {
		return nil, fmt.Errorf("user %q: %w", userID, ErrNotFound)
	}
	return u, nil
}

// CheckSecret judges a client secret presented for the app at now; see CheckSecret.
// The error wraps ErrNotFound when there is no such app (AADSTS700016).
func (s *Store) CheckSecret(appID, value string, now time.Time) (SecretCheck, error) {
	a, err := s.view().app(appID)
	if err != nil {
		return SecretCheck{}, err
	}
	return CheckSecret(a.Secrets, value, now), nil
}

// Sub returns the pairwise subject identifier of the user for the app; see Tenant.Sub.
func (s *Store) Sub(userID, appID string) string {
	v := s.view()
	return pairwiseSub(v.pairwiseKey, userID, appID)
}

// update applies change to a copy of the tenant, completes it (IDs, defaults; no
// service principal is created implicitly), validates it and publishes it. Writers are
// serialised; readers keep the previous view until the swap. The change hooks have seen
// it (or a newer state) before update returns.
func (s *Store) update(change func(t *Tenant) error) error {
	s.mu.Lock()
	t := s.v.t.Clone()
	err := change(t)
	if err == nil {
		err = t.complete(s.rnd, false)
	}
	if err == nil {
		err = t.Validate()
	}
	if err != nil {
		s.mu.Unlock()
		return err
	}
	v := newView(t)
	v.seq = s.v.seq + 1
	s.v = v
	hooks := s.hooks
	s.mu.Unlock()
	if len(hooks) > 0 {
		s.notify(hooks)
	}
	return nil
}

// notify hands the newest published tenant to the hooks, unless a writer that published
// later has already done so. Hooks run one call at a time, in the order of the changes,
// and never under mu, so they may read the store.
func (s *Store) notify(hooks []func(*Tenant)) {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	v := s.view()
	if v.seq <= s.notified {
		return
	}
	s.notified = v.seq
	for _, fn := range hooks {
		fn(v.t.Clone())
	}
}

// OnChange registers fn to be called after every change the store accepts (any of its
// mutation methods), with a copy of the tenant as it then is, before that method returns.
// Calls are made one at a time, in the order of the changes, outside the store's lock;
// when changes come faster than fn returns, one call may stand for several, and it is
// always given the newest tenant. fn may read the store but must not change it (that
// would wait for itself forever).
func (s *Store) OnChange(fn func(*Tenant)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks = append(slices.Clip(s.hooks), fn)
}

// Update applies an arbitrary change to the tenant, all or nothing: change edits a copy,
// whose missing IDs and defaults are then filled in and which must pass Validate to be
// kept. An error from change or from Validate (a *FieldError) leaves the store as it was.
func (s *Store) Update(change func(t *Tenant) error) error { return s.update(change) }

// UpdateApp applies change to one app, all or nothing, like Update, and returns the app
// as stored.
func (s *Store) UpdateApp(appID string, change func(a *App) error) (App, error) {
	var id string
	err := s.update(func(t *Tenant) error {
		a, err := findApp(t, appID)
		if err != nil {
			return err
		}
		if err := change(a); err != nil {
			return err
		}
		id = a.AppID
		return nil
	})
	if err != nil {
		return App{}, err
	}
	a, _ := s.AppByID(id)
	return a, nil
}

func findApp(t *Tenant, appID string) (*App, error) {
	for i := range t.Apps {
		if entra.SameGUID(t.Apps[i].AppID, appID) {
			return &t.Apps[i], nil
		}
	}
	return nil, fmt.Errorf("app %q: %w", appID, ErrNotFound)
}

// AddApp registers an app as POST /applications does: missing app and object IDs are
// generated, defaults applied, and no service principal exists until
// EnsureServicePrincipal. It returns the app as stored.
func (s *Store) AddApp(a App) (App, error) {
	a = a.clone()
	err := s.update(func(t *Tenant) error {
		if err := a.complete(s.rnd, false); err != nil {
			return err
		}
		t.Apps = append(t.Apps, a)
		return nil
	})
	if err != nil {
		return App{}, err
	}
	out, _ := s.AppByID(a.AppID)
	return out, nil
}

// DeleteApp removes an app and its service principal.
func (s *Store) DeleteApp(appID string) error {
	return s.update(func(t *Tenant) error {
		a, err := findApp(t, appID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(t.Apps, func(x App) bool { return x.AppID == a.AppID })
		t.Apps = slices.Delete(t.Apps, i, i+1)
		return nil
	})
}

// EnsureServicePrincipal gives the app its service principal (POST /servicePrincipals)
// if it has none, and returns its object ID and whether it was created now.
func (s *Store) EnsureServicePrincipal(appID string) (spID string, created bool, err error) {
	_, err = s.UpdateApp(appID, func(a *App) error {
		if a.ServicePrincipalID == "" {
			id, err := entra.NewGUID(s.rnd)
			if err != nil {
				return err
			}
			a.ServicePrincipalID = id
			created = true
		}
		spID = a.ServicePrincipalID
		return nil
	})
	if err != nil {
		return "", false, err
	}
	return spID, created, nil
}

// AddPassword mints a secret for the app (POST /applications/{id}/addPassword), valid
// from now for lifetime, and returns it with its value: the only time the value is given.
func (s *Store) AddPassword(appID, displayName string, now time.Time, lifetime time.Duration) (Secret, error) {
	var sec Secret
	_, err := s.UpdateApp(appID, func(a *App) error {
		var err error
		sec, err = NewSecret(s.rnd, now, lifetime)
		if err != nil {
			return err
		}
		sec.DisplayName = displayName
		a.Secrets = append(a.Secrets, sec)
		return nil
	})
	if err != nil {
		return Secret{}, err
	}
	return sec, nil
}

// RemovePassword deletes the app's secret with that key ID (removePassword).
func (s *Store) RemovePassword(appID, keyID string) error {
	_, err := s.UpdateApp(appID, func(a *App) error {
		i := slices.IndexFunc(a.Secrets, func(x Secret) bool { return entra.SameGUID(x.KeyID, keyID) })
		if i < 0 {
			return fmt.Errorf("secret %q of app %q: %w", keyID, appID, ErrNotFound)
		}
		a.Secrets = slices.Delete(a.Secrets, i, i+1)
		return nil
	})
	return err
}

// SetRedirectURIs replaces the app's redirect (and SAML reply) URIs.
func (s *Store) SetRedirectURIs(appID string, uris []string) error {
	_, err := s.UpdateApp(appID, func(a *App) error {
		a.RedirectURIs = slices.Clone(uris)
		return nil
	})
	return err
}

// SetIdentifierURIs replaces the app's identifier URIs (Entity IDs); one already used by
// another app of the tenant is refused.
func (s *Store) SetIdentifierURIs(appID string, uris []string) error {
	_, err := s.UpdateApp(appID, func(a *App) error {
		a.IdentifierURIs = slices.Clone(uris)
		return nil
	})
	return err
}

// SetAssignmentRequired sets appRoleAssignmentRequired on the app's service principal.
func (s *Store) SetAssignmentRequired(appID string, required bool) error {
	_, err := s.UpdateApp(appID, func(a *App) error {
		a.AssignmentRequired = required
		return nil
	})
	return err
}

// SetPreferredSSOMode sets preferredSingleSignOnMode ("", saml, oidc, password, notSupported).
func (s *Store) SetPreferredSSOMode(appID, mode string) error {
	_, err := s.UpdateApp(appID, func(a *App) error {
		a.PreferredSSOMode = mode
		return nil
	})
	return err
}

// GrantConsent records an administrator's consent for the app (the adminconsent endpoint).
func (s *Store) GrantConsent(appID string) error {
	_, err := s.UpdateApp(appID, func(a *App) error {
		a.ConsentGranted = true
		return nil
	})
	return err
}

// Assign gives a user or group access to the app (appRoleAssignedTo with the default
// access role). The principal must exist; an existing assignment wraps ErrExists.
func (s *Store) Assign(appID, principalID string) error {
	id := lowerGUID(principalID)
	_, err := s.UpdateApp(appID, func(a *App) error {
		if slices.Contains(a.Assignments, id) {
			return fmt.Errorf("assignment of %q to app %q: %w", principalID, appID, ErrExists)
		}
		a.Assignments = append(a.Assignments, id)
		return nil
	})
	return err
}

// Unassign removes a user's or group's assignment; one that does not exist wraps ErrNotFound.
func (s *Store) Unassign(appID, principalID string) error {
	id := lowerGUID(principalID)
	_, err := s.UpdateApp(appID, func(a *App) error {
		i := slices.Index(a.Assignments, id)
		if i < 0 {
			return fmt.Errorf("assignment of %q to app %q: %w", principalID, appID, ErrNotFound)
		}
		a.Assignments = slices.Delete(a.Assignments, i, i+1)
		return nil
	})
	return err
}

// AddSigningCert records a SAML token signing certificate on the app's service principal
// (addTokenSigningCertificate); a missing key ID is generated. The first certificate
// becomes active; later ones stay inactive, as in a rollover, until SetActiveSigningCert.
func (s *Store) AddSigningCert(appID string, c SigningCert) (SigningCert, error) {
	_, err := s.UpdateApp(appID, func(a *App) error {
		if c.KeyID == "" {
			id, err := entra.NewGUID(s.rnd)
			if err != nil {
				return err
			}
			c.KeyID = id
		}
		c.Active = len(a.SAML.Certificates) == 0
		a.SAML.Certificates = append(a.SAML.Certificates, c)
		return nil
	})
	if err != nil {
		return SigningCert{}, err
	}
	return c, nil
}

// SetActiveSigningCert makes the certificate with that key ID the one that signs
// (preferredTokenSigningKeyThumbprint), and the others inactive.
func (s *Store) SetActiveSigningCert(appID, keyID string) error {
	_, err := s.UpdateApp(appID, func(a *App) error {
		found := false
		for i := range a.SAML.Certificates {
			c := &a.SAML.Certificates[i]
			c.Active = entra.SameGUID(c.KeyID, keyID)
			found = found || c.Active
		}
		if !found {
			return fmt.Errorf("signing certificate %q of app %q: %w", keyID, appID, ErrNotFound)
		}
		return nil
	})
	return err
}

// ScenariosFor returns the scenarios in force for an app: the tenant's, then the app's
// own, without repeats. An unknown app (or "") gets the tenant's alone.
func (s *Store) ScenariosFor(appID string) []string {
	v := s.view()
	out := slices.Clone(v.t.Scenarios)
	if a := v.apps[strings.ToLower(appID)]; a != nil {
		for _, n := range a.Scenarios {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// SetScenarios replaces the scenarios of the tenant (appID "") or of one app. Unknown
// names are refused with a *FieldError.
func (s *Store) SetScenarios(appID string, names []string) error {
	names = slices.Clone(names)
	if appID == "" {
		return s.Update(func(t *Tenant) error {
			t.Scenarios = names
			return nil
		})
	}
	_, err := s.UpdateApp(appID, func(a *App) error {
		a.Scenarios = names
		return nil
	})
	return err
}
