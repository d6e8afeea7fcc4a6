// Package scimcheck checks a vendor's SCIM endpoint against Microsoft Entra ID's real
// SCIM client: it runs Entra's whole request sequence (Test Connection; users created,
// found by filter, updated, disabled, deleted; a group created empty, members added and
// removed, the group deleted) in each requested PATCH mode, reads back what the
// endpoint stored, and reports every incompatibility with the change that fixes it.
// It deletes what it created, also when a step fails.
package scimcheck

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/ssowizard/ssowizard/harness/scim/scimattr"
	"github.com/ssowizard/ssowizard/harness/scim/scimclient"
)

// Options configures a check.
type Options struct {
	// TenantURL is the SCIM base URL as it would be entered in Entra.
	TenantURL string
	Auth      scimclient.Auth
	// Modes to run, in order; nil means Entra's default and then the compliant mode.
	Modes []scimclient.Mode
	// HTTP sends the requests; nil means a client with scimclient.DefaultTimeout.
	HTTP *http.Client
	// Rand names the test objects and feeds Test Connection's GUID; nil: crypto/rand.
	Rand io.Reader
	// UserDomain is the domain of the test users' userName (their UPN); empty means
	// example.com.
	UserDomain string
	// Log receives every exchange with the mode it belongs to.
	Log func(scimclient.Mode, scimclient.Exchange)
	// CleanupTimeout bounds the deletes made after a failure or cancellation; 0 means 30s.
	CleanupTimeout time.Duration
}

// Severity of a finding.
type Severity string

const (
	Pass Severity = "pass"
	// Fail: Entra's provisioning would fail or store something wrong.
	Fail Severity = "fail"
	// Warn: Entra would work, but the endpoint departs from the RFC or Entra's guidance.
	Warn Severity = "warn"
	// Skipped: not run because an earlier step it needs failed.
	Skipped Severity = "skipped"
)

// Check is one verified expectation.
type Check struct {
	Mode     string   `json:"mode"`
	Step     string   `json:"step"`
	Result   Severity `json:"result"`
	Problem  string   `json:"problem,omitempty"`
	Fix      string   `json:"fix,omitempty"`
	Exchange []int    `json:"exchanges,omitempty"` // indexes into Report.Exchanges
}

// LoggedExchange is an exchange with its mode.
type LoggedExchange struct {
	Mode string `json:"mode"`
	scimclient.Exchange
}

// Report is a check's outcome.
type Report struct {
	TenantURL string `json:"tenant_url"`
	BaseURL   string `json:"base_url"`
	// TenantURLMode is the mode Entra itself would use for TenantURL.
	TenantURLMode string           `json:"tenant_url_mode"`
	Checks        []Check          `json:"checks"`
	Exchanges     []LoggedExchange `json:"exchanges"`
	// Leftovers are objects the check created and could not delete ("User id").
	Leftovers []string `json:"leftovers,omitempty"`
	// Stopped is the one sentence that ended the check early (refused credentials, an
	// endpoint that is not SCIM, no answer); empty when it ran to the end.
	Stopped string `json:"stopped,omitempty"`
	// OK is true only when every check passed (warnings allowed) and nothing stopped it.
	OK bool `json:"ok"`
}

// Plan says what Run will do, for a person to read before agreeing to it.
func Plan(o Options) []string {
	modes := o.modes()
	var out []string
	for _, m := range modes {
		out = append(out, fmt.Sprintf("In Entra's %s mode:", m))
		out = append(out,
			"  GET  /Users?filter=userName eq \"<random GUID>\"   (Test Connection: expects 200 and an empty list)",
			"  GET  /Users?filter=userName eq \"…\", then POST /Users   (create test user A, then test user B)",
			"  GET  /Users?filter=…, PATCH /Users/{A}   (update A's names, email, title, department)",
			"  PATCH /Users/{A} active false   (disable A)",
			"  GET  /Groups?excludedAttributes=members&filter=displayName eq \"…\", POST /Groups   (create a test group with no members)",
			"  PATCH /Groups/{G} add members A and B, then remove member A",
			"  DELETE /Groups/{G}, DELETE /Users/{A}, DELETE /Users/{B}   (clean up, then check each is gone)")
	}
	out = append(out, fmt.Sprintf("Test users are named ssowizard-scimcheck-<random>@%s; everything created is deleted at the end, also after a failure.", o.domain()))
	return out
}

func (o Options) modes() []scimclient.Mode {
	if len(o.Modes) == 0 {
		return []scimclient.Mode{scimclient.ModeEntraDefault, scimclient.ModeCompliant}
	}
	return o.Modes
}

func (o Options) domain() string {
	if o.UserDomain == "" {
		return "example.com"
	}
	return o.UserDomain
}

// Run checks the endpoint. It returns an error only for options that cannot run
// (a bad tenant URL); everything the endpoint does wrong is in the report.
func Run(ctx context.Context, o Options) (*Report, error) {
	base, urlMode, err := scimclient.ParseTenantURL(o.TenantURL)
	if err != nil {
		return nil, err
	}
	rnd := o.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	rep := &Report{TenantURL: o.TenantURL, BaseURL: base.String(), TenantURLMode: urlMode.String()}
	for _, m := range o.modes() {
		r := &run{o: o, rep: rep, mode: m}
		c, err := scimclient.New(scimclient.Config{TenantURL: o.TenantURL, Auth: o.Auth, Mode: m, HTTP: o.HTTP, Rand: rnd,
			Log: func(ex scimclient.Exchange) {
				rep.Exchanges = append(rep.Exchanges, LoggedExchange{Mode: m.String(), Exchange: ex})
				if o.Log != nil {
					o.Log(m, ex)
				}
			}})
		if err != nil {
			return nil, err
		}
		r.c = c
		suffix, err := randHex(rnd, 4)
		if err != nil {
			return nil, err
		}
		r.sequence(ctx, suffix)
		r.cleanup(ctx)
		if rep.Stopped != "" {
			break
		}
	}
	rep.OK = rep.Stopped == "" && len(rep.Leftovers) == 0
	for _, ch := range rep.Checks {
		if ch.Result == Fail || ch.Result == Skipped {
			rep.OK = false
		}
	}
	return rep, nil
}

func randHex(r io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("random name: %w", err)
	}
	return fmt.Sprintf("%x", b), nil
}

// run is one mode's sequence.
type run struct {
	o    Options
	rep  *Report
	mode scimclient.Mode
	c    *scimclient.Client
	// created, in creation order: kind ("User"/"Group") and id.
	created []created
	// maybeUsers and maybeGroups were sent to be created but no id came back (an
	// error after the POST); cleanup looks them up by their matching attribute.
	maybeUsers  []scimclient.User
	maybeGroups []scimclient.Group
	stopped     bool
}

type created struct{ kind, id string }

// record adds a check; mark is the number of exchanges before the step began.
func (r *run) record(step string, mark int, sev Severity, problem, fix string) {
	ch := Check{Mode: r.mode.String(), Step: step, Result: sev, Problem: problem, Fix: fix}
	for i := mark; i < len(r.rep.Exchanges); i++ {
		ch.Exchange = append(ch.Exchange, i)
	}
	r.rep.Checks = append(r.rep.Checks, ch)
}

// failed records err for a step; it returns true when the error stops the whole check
// (credentials refused, not a SCIM endpoint, no answer), after recording the sentence.
func (r *run) failed(step string, mark int, err error, fix string) bool {
	var se *scimclient.Error
	if errors.As(err, &se) {
		switch se.Kind {
		case scimclient.KindUnauthorized, scimclient.KindNetwork:
			r.record(step, mark, Fail, err.Error(), "")
			r.stop(err.Error())
			return true
		case scimclient.KindNotSCIM:
			if step == stepTestConnection {
				r.record(step, mark, Fail, err.Error(), "")
				r.stop(err.Error())
				return true
			}
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		r.record(step, mark, Fail, err.Error(), "")
		r.stop("the check was cancelled or timed out; run it again")
		return true
	}
	r.record(step, mark, Fail, err.Error(), fix)
	return false
}

func (r *run) stop(sentence string) {
	r.stopped = true
	if r.rep.Stopped == "" {
		r.rep.Stopped = sentence
	}
}

const (
	stepTestConnection = "test connection"
	stepCreateUser     = "create user"
	stepFindUser       = "find user by filter"
	stepNoChange       = "provision again without changes"
	stepUpdateUser     = "update user"
	stepDisableUser    = "disable user"
	stepCreateGroup    = "create group"
	stepFindGroup      = "find group by filter"
	stepAddMembers     = "add group members"
	stepRemoveMember   = "remove a group member"
	stepDeleteGroup    = "delete group"
	stepDeleteUser     = "delete user"
)

func (r *run) skip(steps ...string) {
	for _, s := range steps {
		r.record(s, len(r.rep.Exchanges), Skipped, "not run: a step it needs failed", "")
	}
}

func (r *run) testUser(suffix, letter string) scimclient.User {
	nick := "ssowizard-scimcheck-" + suffix + "-" + letter
	return scimclient.User{
		ObjectID:          "00000000-0000-4000-8000-" + suffix + "000" + letter,
		UserPrincipalName: nick + "@" + r.o.domain(),
		MailNickname:      nick,
		Mail:              nick + "@" + r.o.domain(),
		GivenName:         "Scimcheck",
		Surname:           strings.ToUpper(letter),
		DisplayName:       "Scimcheck " + strings.ToUpper(letter),
	}
}

func (r *run) sequence(ctx context.Context, suffix string) {
	mark := len(r.rep.Exchanges)
	if err := r.c.TestConnection(ctx); err != nil {
		if r.failed(stepTestConnection, mark, err, fixTestConnection(err)) {
			return
		}
	} else {
		r.record(stepTestConnection, mark, Pass, "", "")
	}
	r.warnContentType(mark)

	a := r.testUser(suffix, "a")
	idA, ok := r.createUser(ctx, a)
	if r.stopped {
		return
	}
	if !ok {
		r.skip(stepFindUser, stepNoChange, stepUpdateUser, stepDisableUser, stepCreateGroup, stepAddMembers, stepRemoveMember, stepDeleteGroup)
	} else {
		r.findUser(ctx, a, idA)
		r.noChange(ctx, a)
		a = r.updateUser(ctx, a, idA)
		r.disableUser(ctx, idA)
		if r.stopped {
			return
		}
		b := r.testUser(suffix, "b")
		idB, okB := r.createUser(ctx, b)
		if r.stopped {
			return
		}
		if !okB {
			r.skip(stepCreateGroup, stepAddMembers, stepRemoveMember, stepDeleteGroup)
		} else {
			r.groups(ctx, suffix, idA, idB)
		}
	}
	if r.stopped {
		return
	}
	r.deleteUsers(ctx)
}

// warnContentType notes answers since mark that are JSON but not application/scim+json.
func (r *run) warnContentType(mark int) {
	for i := mark; i < len(r.rep.Exchanges); i++ {
		ct := strings.ToLower(r.rep.Exchanges[i].ContentType)
		if r.rep.Exchanges[i].Status != 0 && strings.HasPrefix(ct, "application/json") {
			r.record("content type", i, Warn, fmt.Sprintf("the endpoint answers Content-Type %q", r.rep.Exchanges[i].ContentType),
				"answer with Content-Type: application/scim+json (RFC 7644 §3.1; Entra's SCIM guide asks for it)")
			return
		}
	}
}

func (r *run) createUser(ctx context.Context, u scimclient.User) (string, bool) {
	mark := len(r.rep.Exchanges)
	res, err := r.c.ProvisionUser(ctx, u)
	if res.ID != "" && res.Action == scimclient.ActionCreate {
		r.created = append(r.created, created{"User", res.ID})
	} else if err != nil {
		r.maybeUsers = append(r.maybeUsers, u)
	}
	if err != nil {
		r.failed(stepCreateUser, mark, err, fixFor(stepCreateUser, r.mode, err))
		return "", false
	}
	if res.Action != scimclient.ActionCreate {
		r.record(stepCreateUser, mark, Fail, fmt.Sprintf("a filter for a new user's userName %q found an existing user (%s)", u.UserPrincipalName, res.ID),
			"apply the filter: answer only users whose userName equals the value")
		return "", false
	}
	if diff := r.compare(ctx, res.ID, u); diff != "" {
		r.record(stepCreateUser, mark, Fail, "the created user does not hold what Entra sent: "+diff,
			"store and return every attribute of Entra's POST /Users body (RFC 7643 §4.1, the enterprise extension §4.3)")
		return res.ID, true
	}
	r.record(stepCreateUser, mark, Pass, "", "")
	return res.ID, true
}

// compare reads the user back by id and says what differs from u's mapped values.
func (r *run) compare(ctx context.Context, id string, u scimclient.User) string {
	got, err := r.c.GetUser(ctx, id)
	if err != nil {
		return "reading it back by id failed: " + err.Error()
	}
	var diffs []string
	for path, want := range expected(u) {
		p, _ := scimattr.ParsePath(path)
		v, ok := scimattr.Get(got, p)
		if !ok {
			diffs = append(diffs, fmt.Sprintf("%s is missing", path))
			continue
		}
		if wb, isBool := want.(bool); isBool {
			if gb, gotBool := v.(bool); !gotBool || gb != wb {
				diffs = append(diffs, fmt.Sprintf("%s is %s, want the boolean %t", path, jsonText(v), wb))
			}
			continue
		}
		if scimattr.Text(v) != want {
			diffs = append(diffs, fmt.Sprintf("%s is %s, want %q", path, jsonText(v), want))
		}
	}
	sort.Strings(diffs)
	return strings.Join(diffs, "; ")
}

func jsonText(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return scimattr.Text(v)
}

// expected is what a stored user must hold after Entra's default mappings.
func expected(u scimclient.User) map[string]any {
	m := map[string]any{
		"userName":                     u.UserPrincipalName,
		"active":                       !u.IsSoftDeleted,
		"externalId":                   u.MailNickname,
		`emails[type eq "work"].value`: u.Mail,
		"name.givenName":               u.GivenName,
		"name.familyName":              u.Surname,
		"displayName":                  u.DisplayName,
	}
	if u.JobTitle != "" {
		m["title"] = u.JobTitle
	}
	if u.Department != "" {
		m[scimclient.URNEnterprise+":department"] = u.Department
	}
	return m
}

func (r *run) findUser(ctx context.Context, u scimclient.User, id string) {
	mark := len(r.rep.Exchanges)
	got, err := r.c.FindUser(ctx, u)
	switch {
	case err != nil:
		r.failed(stepFindUser, mark, err, "answer GET /Users?filter=userName eq \"…\" with a ListResponse holding exactly the matching user")
	case got == nil:
		r.record(stepFindUser, mark, Fail, fmt.Sprintf("a filter for userName %q found nothing right after the user was created", u.UserPrincipalName),
			"apply filter=userName eq \"value\" (case-insensitive userName, RFC 7643 §4.1.1); Entra would create a duplicate every cycle otherwise")
	case got.ID() != id:
		r.record(stepFindUser, mark, Fail, fmt.Sprintf("the filter found id %q, not the created %q", got.ID(), id), "return the resource's own id in filter results")
	default:
		r.record(stepFindUser, mark, Pass, "", "")
	}
}

func (r *run) noChange(ctx context.Context, u scimclient.User) {
	mark := len(r.rep.Exchanges)
	res, err := r.c.ProvisionUser(ctx, u)
	switch {
	case err != nil:
		r.failed(stepNoChange, mark, err, fixFor(stepUpdateUser, r.mode, err))
	case res.Action != scimclient.ActionNone:
		r.record(stepNoChange, mark, Fail, "the user found by the filter differs from what was created, so Entra would send a PATCH on every cycle",
			"return every attribute as it was stored, including the enterprise extension and the work email, in filter results")
	default:
		r.record(stepNoChange, mark, Pass, "", "")
	}
}

func (r *run) updateUser(ctx context.Context, u scimclient.User, id string) scimclient.User {
	mark := len(r.rep.Exchanges)
	u.GivenName = "Scimcheck-updated"
	u.Surname += "-updated"
	u.DisplayName += " (updated)"
	u.Mail = strings.Replace(u.Mail, "@", "+updated@", 1)
	u.JobTitle = "Provisioning tester"
	u.Department = "Quality"
	res, err := r.c.ProvisionUser(ctx, u)
	if err != nil {
		r.failed(stepUpdateUser, mark, err, fixFor(stepUpdateUser, r.mode, err))
		return u
	}
	if res.Action != scimclient.ActionUpdate {
		r.record(stepUpdateUser, mark, Fail, fmt.Sprintf("Entra would have sent no PATCH (action %s)", res.Action), "")
		return u
	}
	if diff := r.compare(ctx, id, u); diff != "" {
		r.record(stepUpdateUser, mark, Fail, "the PATCH answered success but the user does not hold the new values: "+diff, fixFor(stepUpdateUser, r.mode, nil))
		return u
	}
	r.record(stepUpdateUser, mark, Pass, "", "")
	return u
}

func (r *run) disableUser(ctx context.Context, id string) {
	mark := len(r.rep.Exchanges)
	if err := r.c.DisableUser(ctx, id); err != nil {
		r.failed(stepDisableUser, mark, err, fixFor(stepDisableUser, r.mode, err))
		return
	}
	got, err := r.c.GetUser(ctx, id)
	if err != nil {
		r.failed(stepDisableUser, mark, err, "answer GET /Users/{id} for an existing user with 200 and the user")
		return
	}
	if v, ok := got["active"].(bool); !ok || v {
		r.record(stepDisableUser, mark, Fail, fmt.Sprintf("the PATCH answered success but active is now %s, not the boolean false", jsonText(got["active"])), fixFor(stepDisableUser, r.mode, nil))
		return
	}
	r.record(stepDisableUser, mark, Pass, "", "")
}

func (r *run) groups(ctx context.Context, suffix, idA, idB string) {
	g := scimclient.Group{ObjectID: "00000000-0000-4000-8000-" + suffix + "0009", DisplayName: "ssowizard-scimcheck-" + suffix}
	mark := len(r.rep.Exchanges)
	res, err := r.c.ProvisionGroup(ctx, g, nil)
	if res.ID != "" && res.Action == scimclient.ActionCreate {
		r.created = append(r.created, created{"Group", res.ID})
	} else if err != nil {
		r.maybeGroups = append(r.maybeGroups, g)
	}
	if err != nil {
		if !r.failed(stepCreateGroup, mark, err, fixFor(stepCreateGroup, r.mode, err)) {
			r.skip(stepFindGroup, stepAddMembers, stepRemoveMember, stepDeleteGroup)
		}
		return
	}
	if res.Action != scimclient.ActionCreate {
		r.record(stepCreateGroup, mark, Fail, fmt.Sprintf("a filter for a new group's displayName %q found an existing group", g.DisplayName),
			"apply filter=displayName eq \"value\" on /Groups")
		r.skip(stepFindGroup, stepAddMembers, stepRemoveMember, stepDeleteGroup)
		return
	}
	r.record(stepCreateGroup, mark, Pass, "", "")
	gid := res.ID

	mark = len(r.rep.Exchanges)
	found, err := r.c.FindGroup(ctx, g)
	switch {
	case err != nil:
		r.failed(stepFindGroup, mark, err, "answer GET /Groups?excludedAttributes=members&filter=displayName eq \"…\" with a ListResponse")
	case found == nil || found.ID() != gid:
		r.record(stepFindGroup, mark, Fail, "a filter on the new group's displayName did not find it", "apply filter=displayName eq \"value\" on /Groups")
	default:
		r.record(stepFindGroup, mark, Pass, "", "")
	}

	mark = len(r.rep.Exchanges)
	if err := r.c.AddMembers(ctx, gid, []string{idA, idB}); err != nil {
		r.failed(stepAddMembers, mark, err, fixFor(stepAddMembers, r.mode, err))
	} else if got := r.members(ctx, gid); got != idA+","+idB && got != idB+","+idA {
		r.record(stepAddMembers, mark, Fail, fmt.Sprintf("the PATCH answered success but the group's members are [%s]", got), fixFor(stepAddMembers, r.mode, nil))
	} else {
		r.record(stepAddMembers, mark, Pass, "", "")
	}

	mark = len(r.rep.Exchanges)
	if err := r.c.RemoveMembers(ctx, gid, []string{idA}); err != nil {
		r.failed(stepRemoveMember, mark, err, fixFor(stepRemoveMember, r.mode, err))
	} else if got := r.members(ctx, gid); got != idB {
		r.record(stepRemoveMember, mark, Fail, fmt.Sprintf("the PATCH answered success but the group's members are [%s], want [%s]", got, idB), fixFor(stepRemoveMember, r.mode, nil))
	} else {
		r.record(stepRemoveMember, mark, Pass, "", "")
	}
	if r.stopped {
		return
	}
	mark = len(r.rep.Exchanges)
	r.deleteAndVerify(ctx, stepDeleteGroup, "Group", gid, mark)
}

// members reads a group's member ids, comma-joined in the endpoint's order.
func (r *run) members(ctx context.Context, gid string) string {
	g, err := r.c.GetGroup(ctx, gid, false)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	list, _ := g["members"].([]any)
	var ids []string
	for _, m := range list {
		if obj, ok := m.(map[string]any); ok {
			ids = append(ids, scimattr.Text(obj["value"]))
		}
	}
	return strings.Join(ids, ",")
}

func (r *run) deleteUsers(ctx context.Context) {
	for _, c := range append([]created(nil), r.created...) {
		if c.kind != "User" || r.stopped {
			continue
		}
		r.deleteAndVerify(ctx, stepDeleteUser, "User", c.id, len(r.rep.Exchanges))
	}
}

// deleteAndVerify deletes and then expects GET to answer 404 (RFC 7644 §3.6).
func (r *run) deleteAndVerify(ctx context.Context, step, kind, id string, mark int) {
	var err error
	if kind == "User" {
		err = r.c.DeleteUser(ctx, id)
	} else {
		err = r.c.DeleteGroup(ctx, id)
	}
	if err != nil {
		r.failed(step, mark, err, "answer DELETE /"+kind+"s/{id} with 204 No Content (RFC 7644 §3.6)")
		return
	}
	r.forget(id)
	if kind == "User" {
		_, err = r.c.GetUser(ctx, id)
	} else {
		_, err = r.c.GetGroup(ctx, id, true)
	}
	var se *scimclient.Error
	if errors.As(err, &se) && se.Status == http.StatusNotFound {
		r.record(step, mark, Pass, "", "")
		return
	}
	r.record(step, mark, Fail, fmt.Sprintf("after DELETE answered success, GET /%ss/%s did not answer 404", kind, id),
		"delete the resource, and answer 404 with a SCIM error for ids that do not exist (RFC 7644 §3.6, §3.12)")
}

func (r *run) forget(id string) {
	for i, c := range r.created {
		if c.id == id {
			r.created = append(r.created[:i], r.created[i+1:]...)
			return
		}
	}
}

// cleanup deletes whatever this mode created and has not deleted yet, groups first,
// with a fresh bounded context so a cancelled or failed run still cleans up.
func (r *run) cleanup(parent context.Context) {
	if len(r.created) == 0 && len(r.maybeUsers) == 0 && len(r.maybeGroups) == 0 {
		return
	}
	d := r.o.CleanupTimeout
	if d <= 0 {
		d = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), d)
	defer cancel()
	// A POST that failed after the endpoint stored the object leaves no id behind;
	// the matching filter finds it, if the endpoint can answer one.
	for _, g := range r.maybeGroups {
		found, err := r.c.FindGroup(ctx, g)
		switch {
		case err != nil:
			r.rep.Leftovers = append(r.rep.Leftovers, fmt.Sprintf("maybe a Group named %q (%s): it could not be looked up", g.DisplayName, r.mode))
		case found != nil:
			r.created = append(r.created, created{"Group", found.ID()})
		}
	}
	for _, u := range r.maybeUsers {
		found, err := r.c.FindUser(ctx, u)
		switch {
		case err != nil:
			r.rep.Leftovers = append(r.rep.Leftovers, fmt.Sprintf("maybe a User with userName %q (%s): it could not be looked up", u.UserPrincipalName, r.mode))
		case found != nil:
			r.created = append(r.created, created{"User", found.ID()})
		}
	}
	r.maybeUsers, r.maybeGroups = nil, nil
	sort.SliceStable(r.created, func(i, j int) bool { return r.created[i].kind == "Group" && r.created[j].kind != "Group" })
	for _, c := range r.created {
		var err error
		if c.kind == "User" {
			err = r.c.DeleteUser(ctx, c.id)
		} else {
			err = r.c.DeleteGroup(ctx, c.id)
		}
		if err != nil {
			r.rep.Leftovers = append(r.rep.Leftovers, fmt.Sprintf("%s %s (%s)", c.kind, c.id, r.mode))
		}
	}
	r.created = nil
}
