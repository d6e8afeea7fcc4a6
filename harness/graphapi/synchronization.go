package graphapi

import (
	stdcontext "context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/ssowizard/ssowizard/harness/scim/scimclient"
	"github.com/ssowizard/ssowizard/harness/tenant"
)

// The synchronization API of a non-gallery (custom SCIM) app, and a provisioning
// engine behind it that pushes the app's assigned users and groups to the configured
// SCIM endpoint with Entra's own client (harness/scim/scimclient). Cycles run when a
// job is started or restarted, synchronously, never on a timer; provisionOnDemand runs
// one user. Secrets live in memory only, never in the tenant file or a log.
//
//	GET    /servicePrincipals/{id}/synchronization/templates
//	PUT    /servicePrincipals/{id}/synchronization/secrets
//	GET|POST /servicePrincipals/{id}/synchronization/jobs
//	GET|DELETE /servicePrincipals/{id}/synchronization/jobs/{jobId}
//	POST   …/jobs/{jobId}/validateCredentials | start | pause | restart | provisionOnDemand
//	GET    /auditLogs/provisioning
//
// Sources: https://learn.microsoft.com/graph/api/resources/synchronization-overview (and
// the per-method pages), https://learn.microsoft.com/entra/identity/app-provisioning/application-provisioning-configuration-api
// and how-provisioning-works. All need Synchronization.ReadWrite.All here (Graph also
// accepts Application.ReadWrite.OwnedBy for an app that owns the service principal,
// which the harness does not model); the provisioning logs need AuditLog.Read.All.

var (
	permSync     = permission{name: "Synchronization.ReadWrite.All", write: true}
	permSyncRead = permission{name: "Synchronization.Read.All", also: []string{"Synchronization.ReadWrite.All"}}
	permAuditLog = permission{name: "AuditLog.Read.All"}
)

// scimTemplateID is the template of new non-gallery SCIM jobs; job ids start with it.
// The template's factoryTag for a custom app is not documented (ENTRA-CONSENT-SCIM-CLAIMS
// §6 row 1); the harness answers "scim".
const scimTemplateID = "scim"

// scimRuleID is the id of the one synchronization rule the harness's jobs have.
const scimRuleID = "03f7d90d-bf71-41b1-bda6-aaf0ddbee5d8"

// syncState is one service principal's provisioning configuration.
type syncState struct {
	secrets map[string]string
	jobs    map[string]*syncJob
}

// syncJob is a job and what the engine remembers between cycles: the ids the SCIM
// endpoint gave the objects it manages (the "escrow" of matched objects).
type syncJob struct {
	id            string
	status        string // NotConfigured, NotRun, Active, Paused, Quarantine
	lastExecution map[string]any
	users         map[string]string // Entra user id → SCIM id
	groups        map[string]string // Entra group id → SCIM id
	members       map[string][]string
}

func (a *API) syncFor(spID string) *syncState {
	s := a.sync[strings.ToLower(spID)]
	if s == nil {
		s = &syncState{secrets: map[string]string{}, jobs: map[string]*syncJob{}}
		a.sync[strings.ToLower(spID)] = s
	}
	return s
}

// synchronization routes /servicePrincipals/{id}/synchronization/…; rest starts after
// "synchronization".
func (a *API) synchronization(c *call, e *ref, rest []string) bool {
	app, ok := a.spByRef(*e)
	switch {
	case len(rest) == 1 && rest[0] == "templates":
		c.route = "servicePrincipals/{id}/synchronization/templates"
		if !c.method("GET") || !c.allow(permSyncRead) {
			return true
		}
		if !ok {
			c.notFound(e.value)
			return true
		}
		c.write(http.StatusOK, map[string]any{
			"@odata.context": odataBase + "servicePrincipals('" + app.ServicePrincipalID + "')/synchronization/templates",
			"value": []any{map[string]any{
				"id": scimTemplateID, "applicationId": app.AppID, "factoryTag": scimTemplateID, "default": true,
				"discoverable": true, "description": "SCIM 2.0 provisioning of a non-gallery application", "metadata": []any{}, "schema": nil,
			}},
		})
		return true
	case len(rest) == 1 && rest[0] == "secrets":
		c.route = "servicePrincipals/{id}/synchronization/secrets"
		if !c.method("PUT") || !c.allow(permSync) {
			return true
		}
		if !ok {
			c.notFound(e.value)
			return true
		}
		body := c.readBody()
		if body == nil {
			return true
		}
		var pairs []struct{ Key, Value string }
		if present, good := c.field(body, "value", &pairs); !good {
			return true
		} else if !present {
			c.badRequest("The secrets need a value: a list of {key, value}.")
			return true
		}
		a.syncMu.Lock()
		st := a.syncFor(app.ServicePrincipalID)
		for _, p := range pairs {
			st.secrets[p.Key] = p.Value
		}
		a.syncMu.Unlock()
		c.noContent()
		return true
	case len(rest) >= 1 && rest[0] == "jobs":
		if !ok {
			c.route = "servicePrincipals/{id}/synchronization/jobs"
			c.notFound(e.value)
			return true
		}
		a.syncJobs(c, app, rest[1:])
		return true
	}
	return false
}

func (a *API) syncJobs(c *call, app tenant.App, rest []string) {
	a.syncMu.Lock()
	defer a.syncMu.Unlock()
	st := a.syncFor(app.ServicePrincipalID)
	ctxBase := odataBase + "servicePrincipals('" + app.ServicePrincipalID + "')/synchronization/jobs"
	if len(rest) == 0 {
		c.route = "servicePrincipals/{id}/synchronization/jobs"
		if !c.method("GET", "POST") || !c.allowMethod(permSyncRead, permSync) {
			return
		}
		if c.r.Method == "GET" {
			ids := make([]string, 0, len(st.jobs))
			for id := range st.jobs {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			var items []any
			for _, id := range ids {
				items = append(items, jobJSON(st.jobs[id]))
			}
			c.write(http.StatusOK, map[string]any{"@odata.context": ctxBase, "value": list(items)})
			return
		}
		body := c.readBody()
		if body == nil || !c.properties(body, []string{"templateId", "schedule", "synchronizationJobSettings"}) {
			return
		}
		var tmpl string
		if _, good := c.field(body, "templateId", &tmpl); !good {
			return
		}
		if tmpl != scimTemplateID {
			c.badRequest(fmt.Sprintf("The template '%s' does not exist for this application; the harness offers only '%s' (custom SCIM apps).", tmpl, scimTemplateID))
			return
		}
		hex, _ := tenant.NewGUID(rand.Reader)
		// Job ids look like {templateId}.{hex}.{guid} in Graph's examples.
		job := &syncJob{id: scimTemplateID + "." + strings.ReplaceAll(hex, "-", "") + "." + app.AppID, status: "NotConfigured",
			users: map[string]string{}, groups: map[string]string{}, members: map[string][]string{}}
		st.jobs[job.id] = job
		out := jobJSON(job)
		out["@odata.context"] = ctxBase + "/$entity"
		c.created(c.base()+"/servicePrincipals/"+app.ServicePrincipalID+"/synchronization/jobs/"+job.id, out)
		return
	}
	job := st.jobs[rest[0]]
	if len(rest) == 1 {
		c.route = "servicePrincipals/{id}/synchronization/jobs/{jobId}"
		if !c.method("GET", "DELETE") || !c.allowMethod(permSyncRead, permSync) {
			return
		}
		if job == nil {
			c.notFound(rest[0])
			return
		}
		if c.r.Method == "DELETE" {
			delete(st.jobs, job.id)
			c.noContent()
			return
		}
		out := jobJSON(job)
		out["@odata.context"] = ctxBase + "/$entity"
		c.write(http.StatusOK, out)
		return
	}
	if len(rest) != 2 {
		c.notFound(rest[len(rest)-1])
		return
	}
	if rest[1] == "schema" {
		c.route = "servicePrincipals/{id}/synchronization/jobs/{jobId}/schema"
		if !c.method("GET") || !c.allow(permSyncRead) {
			return
		}
		if job == nil {
			c.notFound(rest[0])
			return
		}
		// The harness's engine has one rule, users and groups to SCIM; provisionOnDemand
		// needs its id as ruleId. (learn.microsoft.com/graph/api/synchronization-synchronizationjob-provisionondemand) Graph's schema also
		// carries the directories and every attribute mapping, which the harness leaves out.
		c.write(http.StatusOK, map[string]any{"@odata.context": ctxBase + "('" + job.id + "')/schema/$entity",
			"id": job.id, "version": "1",
			"synchronizationRules": []any{map[string]any{"id": scimRuleID, "name": "USER_AND_GROUP_TO_SCIM", "sourceDirectoryName": "Azure Active Directory",
				"editable": true, "priority": 1, "objectMappings": []any{}, "metadata": []any{}, "containerFilter": nil, "groupFilter": nil}},
			"directories": []any{}})
		return
	}
	c.route = "servicePrincipals/{id}/synchronization/jobs/{jobId}/" + rest[1]
	if !c.method("POST") || !c.allow(permSync) {
		return
	}
	if job == nil {
		c.notFound(rest[0])
		return
	}
	switch rest[1] {
	case "validateCredentials":
		a.validateCredentials(c, st)
	case "start":
		a.runCycle(c.r.Context(), app, st, job)
		c.noContent()
	case "pause":
		job.status = "Paused"
		c.noContent()
	case "restart":
		body := c.readBody()
		if body == nil {
			return
		}
		var crit struct {
			ResetScope string `json:"resetScope"`
		}
		if _, good := c.field(body, "criteria", &crit); !good {
			return
		}
		// Watermark and Full forget the matched objects, so the next cycle matches
		// every user again by its matching attribute. [graph-sync-restartcriteria]
		scope := strings.ToLower(crit.ResetScope)
		if scope == "" || strings.Contains(scope, "watermark") || strings.Contains(scope, "full") {
			job.users, job.groups, job.members = map[string]string{}, map[string]string{}, map[string][]string{}
		}
		a.runCycle(c.r.Context(), app, st, job)
		c.noContent()
	case "provisionOnDemand":
		a.provisionOnDemand(c, app, st, job)
	default:
		c.notFound(rest[1])
	}
}

func jobJSON(j *syncJob) map[string]any {
	// A job not running shows Graph's "never" interval, as in the create response of
	// [prov-config-api]; a running one the 40-minute cycle of [scim-build].
	schedule := map[string]any{"expiration": nil, "interval": "P10675199DT2H48M5.4775807S", "state": "Disabled"}
	if j.status == "Active" {
		schedule["interval"], schedule["state"] = "PT40M", "Active"
	}
	return map[string]any{
		"id": j.id, "templateId": scimTemplateID,
		"schedule": schedule,
		"status": map[string]any{
			"code": j.status, "lastExecution": j.lastExecution, "quarantine": nil, "countSuccessiveCompleteFailures": 0,
			"escrowsPruned": false, "progress": []any{}, "synchronizedEntryCountByType": []any{}, "troubleshootingUrl": nil,
		},
		"synchronizationJobSettings": []any{map[string]any{"name": "QuarantineTooManyDeletesThreshold", "value": "500"}},
	}
}

// engine builds Entra's SCIM client from the saved (or given) credentials; the tenant
// URL's flag picks the dialect.
func (a *API) engine(secrets map[string]string, log func(scimclient.Exchange)) (*scimclient.Client, error) {
	return a.engineMode(secrets, log, scimclient.ModeFromTenantURL)
}

func (a *API) engineMode(secrets map[string]string, log func(scimclient.Exchange), mode scimclient.Mode) (*scimclient.Client, error) {
	return scimclient.New(scimclient.Config{TenantURL: secrets["BaseAddress"], Auth: scimclient.Auth{BearerToken: secrets["SecretToken"]},
		HTTP: a.scimHTTP, Log: log, Mode: mode})
}

// validateCredentials is the portal's Test Connection. [graph-sync-validate]
func (a *API) validateCredentials(c *call, st *syncState) {
	body := c.readBody()
	if body == nil {
		return
	}
	var useSaved bool
	var creds []struct{ Key, Value string }
	if _, good := c.field(body, "useSavedCredentials", &useSaved); !good {
		return
	}
	if _, good := c.field(body, "credentials", &creds); !good {
		return
	}
	secrets := map[string]string{}
	if useSaved {
		for k, v := range st.secrets {
			secrets[k] = v
		}
	}
	for _, p := range creds {
		secrets[p.Key] = p.Value
	}
	client, err := a.engine(secrets, nil)
	if err == nil {
		err = client.TestConnection(c.r.Context())
	}
	if err != nil {
		// Graph's error code for a failed Test Connection is not documented; the
		// message carries the engine's sentence.
		c.badRequest("The credentials could not be validated: " + err.Error() + ".")
		return
	}
	c.noContent()
}

// cycle collects one run's log entries and counts.
type cycle struct {
	// onDemand: provisionOnDemand, where the aadOptscim062020 flag does not work yet,
	// so Entra's default dialect is sent whatever the tenant URL says. [scim-compat]
	onDemand bool
	a        *API
	app      tenant.App
	job      *syncJob
	cycleID  string
	exports  int
	failed   int
}

// runCycle pushes the app's assigned users and groups: users first, then groups and
// their members, then disables users no longer in scope. [how-prov-works]
func (a *API) runCycle(ctx stdcontext.Context, app tenant.App, st *syncState, job *syncJob) {
	job.status = "Active"
	began := a.now()
	cyc := &cycle{a: a, app: app, job: job}
	cyc.cycleID, _ = tenant.NewGUID(rand.Reader)
	users, groups := a.scope(app)
	for _, u := range users {
		_ = cyc.user(ctx, st, u) // logged; a failed user does not stop the cycle
	}
	for id := range job.users {
		if !slices.ContainsFunc(users, func(u tenant.User) bool { return u.ID == id }) {
			cyc.outOfScope(ctx, st, id)
		}
	}
	for _, g := range groups {
		cyc.group(ctx, st, g, users)
	}
	state := "Succeeded"
	if cyc.failed > 0 {
		state = "EntryLevelErrors"
	}
	job.lastExecution = map[string]any{
		"activityIdentifier": cyc.cycleID, "countExported": cyc.exports, "countEntitled": len(users) + len(groups),
		"state": state, "timeBegan": graphTime(began), "timeEnded": graphTime(a.now()), "error": nil,
	}
}

// scope is who the app provisions: its assigned users, the direct members of its
// assigned groups, and those groups; disabled accounts are left out. [how-prov-works]
func (a *API) scope(app tenant.App) ([]tenant.User, []tenant.Group) {
	var users []tenant.User
	var groups []tenant.Group
	assigned := map[string]bool{}
	for _, id := range app.Assignments {
		assigned[strings.ToLower(id)] = true
		if g, ok := a.store.GroupByID(id); ok {
			groups = append(groups, g)
		}
	}
	for _, u := range a.store.Users() {
		in := assigned[strings.ToLower(u.ID)]
		for _, gid := range u.Groups {
			in = in || (assigned[strings.ToLower(gid)] && slices.ContainsFunc(groups, func(g tenant.Group) bool { return strings.EqualFold(g.ID, gid) }))
		}
		if in {
			users = append(users, u)
		}
	}
	sort.Slice(users, func(i, j int) bool { return users[i].UPN < users[j].UPN })
	sort.Slice(groups, func(i, j int) bool { return groups[i].DisplayName < groups[j].DisplayName })
	return users, groups
}

func scimUser(u tenant.User) scimclient.User {
	upn := u.UPN
	// A B2B guest's userPrincipalName reaches the mappings with #EXT# and the tenant's
	// domain stripped and the alias's last "_" turned back into "@"
	// (carol_fabrikam.example#EXT#@contoso.onmicrosoft.com → carol@fabrikam.example).
	// [how-prov-works] "B2B (external) users"
	if alias, _, found := strings.Cut(upn, "#EXT#@"); found {
		if i := strings.LastIndexByte(alias, '_'); i > 0 {
			upn = alias[:i] + "@" + alias[i+1:]
		}
	}
	nick, _, _ := strings.Cut(u.UPN, "@")
	nick, _, _ = strings.Cut(nick, "#EXT#")
	return scimclient.User{ObjectID: u.ID, UserPrincipalName: upn, MailNickname: nick, Mail: u.Mail,
		GivenName: u.GivenName, Surname: u.Surname, DisplayName: u.DisplayName, IsSoftDeleted: u.Disabled}
}

// user provisions one user and logs what happened.
func (cy *cycle) user(ctx stdcontext.Context, st *syncState, u tenant.User) error {
	var exchanges []scimclient.Exchange
	mode := scimclient.ModeFromTenantURL
	if cy.onDemand {
		mode = scimclient.ModeEntraDefault
	}
	client, err := cy.a.engineMode(st.secrets, func(ex scimclient.Exchange) { exchanges = append(exchanges, ex) }, mode)
	if err != nil {
		cy.log("create", "User", u.ID, u.DisplayName, "", exchanges, err)
		return err
	}
	if u.Disabled {
		if _, managed := cy.job.users[u.ID]; !managed {
			return nil // disabled Entra users are not provisioned
		}
	}
	res, err := client.ProvisionUser(ctx, scimUser(u))
	if res.ID != "" {
		cy.job.users[u.ID] = res.ID
	}
	action := string(res.Action)
	if u.Disabled && res.Action == scimclient.ActionUpdate {
		action = "disable"
	}
	if res.Action == scimclient.ActionNone && err == nil {
		return nil // the provisioning logs show skips only on demand
	}
	if action == "" || action == string(scimclient.ActionNone) {
		action = "create"
	}
	cy.log(action, "User", u.ID, u.DisplayName, res.ID, exchanges, err)
	return err
}

// outOfScope handles a managed user that left the scope: unassigned or out of scope,
// it is disabled and Entra stops managing it (no later delete); gone from the
// directory (hard-deleted), it is deleted. [how-prov-works] "Deprovisioning"
func (cy *cycle) outOfScope(ctx stdcontext.Context, st *syncState, userID string) {
	scimID := cy.job.users[userID]
	var exchanges []scimclient.Exchange
	client, err := cy.a.engine(st.secrets, func(ex scimclient.Exchange) { exchanges = append(exchanges, ex) })
	u, exists := cy.a.store.UserByID(userID)
	action, name := "disable", userID
	if exists {
		name = u.DisplayName
	} else {
		action = "delete"
	}
	if err == nil {
		if exists {
			err = client.DisableUser(ctx, scimID)
		} else {
			err = client.DeleteUser(ctx, scimID)
		}
	}
	cy.log(action, "User", userID, name, scimID, exchanges, err)
	if err == nil {
		delete(cy.job.users, userID)
		for gid, ids := range cy.job.members {
			cy.job.members[gid] = slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == scimID && !exists })
		}
	}
}

// group provisions a group (created with no members) and then its members' changes.
func (cy *cycle) group(ctx stdcontext.Context, st *syncState, g tenant.Group, users []tenant.User) {
	var exchanges []scimclient.Exchange
	client, err := cy.a.engine(st.secrets, func(ex scimclient.Exchange) { exchanges = append(exchanges, ex) })
	if err != nil {
		cy.log("create", "Group", g.ID, g.DisplayName, "", exchanges, err)
		return
	}
	var want []string
	for _, u := range users {
		if id, ok := cy.job.users[u.ID]; ok && !u.Disabled && slices.ContainsFunc(u.Groups, func(x string) bool { return strings.EqualFold(x, g.ID) }) {
			want = append(want, id)
		}
	}
	res, err := client.ProvisionGroup(ctx, scimclient.Group{ObjectID: g.ID, DisplayName: g.DisplayName}, nil)
	if err != nil {
		cy.log("create", "Group", g.ID, g.DisplayName, res.ID, exchanges, err)
		return
	}
	cy.job.groups[g.ID] = res.ID
	have := cy.job.members[g.ID]
	var add, remove []string
	for _, id := range want {
		if !slices.Contains(have, id) {
			add = append(add, id)
		}
	}
	for _, id := range have {
		if !slices.Contains(want, id) {
			remove = append(remove, id)
		}
	}
	if len(add) > 0 {
		err = client.AddMembers(ctx, res.ID, add)
	}
	if err == nil && len(remove) > 0 {
		err = client.RemoveMembers(ctx, res.ID, remove)
	}
	if err == nil {
		cy.job.members[g.ID] = want
	}
	action := string(res.Action)
	if res.Action == scimclient.ActionNone {
		if len(add)+len(remove) == 0 && err == nil {
			return
		}
		action = "update"
	}
	cy.log(action, "Group", g.ID, g.DisplayName, res.ID, exchanges, err)
}

// log records one provisioningObjectSummary. [graph-provlogs]
func (cy *cycle) log(action, kind, sourceID, sourceName, targetID string, exchanges []scimclient.Exchange, err error) {
	if err != nil {
		cy.failed++
	} else {
		cy.exports++
	}
	cy.a.provLog(cy.app, cy.job.id, cy.cycleID, action, kind, sourceID, sourceName, targetID, exchanges, err)
}

func (a *API) provLog(app tenant.App, jobID, cycleID, action, kind, sourceID, sourceName, targetID string, exchanges []scimclient.Exchange, err error) map[string]any {
	id, _ := tenant.NewGUID(rand.Reader)
	changeID, _ := tenant.NewGUID(rand.Reader)
	status := map[string]any{"status": "success", "errorInformation": nil}
	if err != nil {
		status = map[string]any{"status": "failure", "errorInformation": map[string]any{
			"errorCode": "SystemForCrossDomainIdentityManagementServiceIncompatible", "reason": err.Error(),
			"additionalDetails": nil, "errorCategory": "NonServiceFailure", "recommendedAction": nil}}
	}
	steps := []any{}
	for _, ex := range exchanges {
		st := "success"
		if ex.Error != "" || ex.Status >= 400 {
			st = "failure"
		}
		steps = append(steps, map[string]any{
			"name": stepName(ex), "provisioningStepType": map[bool]string{true: "matching", false: "export"}[ex.Method == http.MethodGet],
			"status": st, "description": ex.Method + " " + ex.URL + " answered " + fmt.Sprint(ex.Status),
			"details": map[string]any{"Request": ex.RequestBody, "Response": ex.ResponseBody, "StatusCode": fmt.Sprint(ex.Status)},
		})
	}
	targetType := "urn:ietf:params:scim:schemas:core:2.0:User"
	if kind == "Group" {
		targetType = "urn:ietf:params:scim:schemas:core:2.0:Group"
	}
	entry := map[string]any{
		"id": id, "activityDateTime": graphTime(a.now()), "tenantId": a.store.TenantID(), "jobId": jobID, "cycleId": cycleID,
		"changeId": changeID, "provisioningAction": action, "durationInMilliseconds": 0,
		"provisioningStatusInfo": status, "provisioningSteps": steps, "modifiedProperties": []any{},
		"servicePrincipal": map[string]any{"id": app.ServicePrincipalID, "displayName": app.DisplayName},
		"sourceSystem":     map[string]any{"id": nil, "displayName": "Azure Active Directory", "details": map[string]any{}},
		"targetSystem": map[string]any{"id": nil, "displayName": app.DisplayName, "details": map[string]any{
			"ApplicationId": app.AppID, "ServicePrincipalId": app.ServicePrincipalID, "ServicePrincipalDisplayName": app.DisplayName}},
		"initiatedBy":    map[string]any{"id": "", "displayName": "Azure AD Provisioning Service", "initiatingType": "system"},
		"sourceIdentity": map[string]any{"id": sourceID, "displayName": sourceName, "identityType": kind, "details": map[string]any{}},
		"targetIdentity": map[string]any{"id": nullable(targetID), "displayName": sourceName, "identityType": targetType, "details": map[string]any{}},
	}
	a.mu.Lock()
	a.provLogs = append(a.provLogs, entry)
	if len(a.provLogs) > maxProvLogs {
		a.provLogs = a.provLogs[len(a.provLogs)-maxProvLogs:]
	}
	a.mu.Unlock()
	return entry
}

// maxProvLogs bounds the provisioning logs kept in memory.
const maxProvLogs = 1000

func stepName(ex scimclient.Exchange) string {
	switch ex.Method {
	case http.MethodGet:
		return "EntryImport"
	case http.MethodPost:
		return "EntryExportAdd"
	case http.MethodDelete:
		return "EntryExportDelete"
	}
	return "EntryExportUpdate"
}

// provisionOnDemand provisions one assigned user now and answers Graph's
// stringKeyStringValuePair: key and value are JSON strings. [graph-pod]
func (a *API) provisionOnDemand(c *call, app tenant.App, st *syncState, job *syncJob) {
	body := c.readBody()
	if body == nil {
		return
	}
	var params []struct {
		Subjects []struct {
			ObjectID       string `json:"objectId"`
			ObjectTypeName string `json:"objectTypeName"`
		} `json:"subjects"`
		RuleID string `json:"ruleId"`
	}
	if present, good := c.field(body, "parameters", &params); !good {
		return
	} else if !present || len(params) != 1 || len(params[0].Subjects) != 1 {
		c.badRequest("provisionOnDemand needs parameters with one subject {objectId, objectTypeName}.")
		return
	}
	subj := params[0].Subjects[0]
	if !strings.EqualFold(subj.ObjectTypeName, "User") {
		c.badRequest("The harness provisions users on demand; objectTypeName must be User.")
		return
	}
	u, ok := a.store.UserByID(subj.ObjectID)
	if !ok {
		c.notFound(subj.ObjectID)
		return
	}
	users, _ := a.scope(app)
	cyc := &cycle{a: a, app: app, job: job, onDemand: true}
	cyc.cycleID, _ = tenant.NewGUID(rand.Reader)
	result, details := "Success", map[string]any{}
	if !slices.ContainsFunc(users, func(x tenant.User) bool { return x.ID == u.ID }) {
		result, details = "Skipped", map[string]any{"errorCode": "NotEffectivelyEntitled",
			"errorMessage": "The user is not assigned to the application, directly or through a group."}
	} else {
		before := len(a.provLogSnapshot())
		err := cyc.user(c.r.Context(), st, u)
		if err != nil {
			result, details = "Failure", map[string]any{"errorCode": "SystemForCrossDomainIdentityManagementServiceIncompatible", "errorMessage": err.Error()}
		} else if len(a.provLogSnapshot()) == before {
			result, details = "Skipped", map[string]any{"errorCode": "RedundantExport",
				"errorMessage": "The state of the user in both the source and target systems already match."}
		}
	}
	key, _ := json.Marshal(map[string]any{"result": result, "details": details})
	value, _ := json.Marshal(map[string]any{
		"sourceIdentity": map[string]any{"id": u.ID, "identityType": "User", "details": map[string]any{"DisplayName": u.DisplayName}},
		"sourceSystem":   map[string]any{"name": "Azure Active Directory"},
		"targetIdentity": map[string]any{"id": job.users[u.ID], "identityType": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
		"targetSystem":   map[string]any{"name": scimTemplateID},
		"statusInfo":     map[string]any{"status": result},
		"startTime":      graphTime(a.now()), "endTime": graphTime(a.now()),
	})
	c.write(http.StatusOK, map[string]any{"@odata.context": odataBase + "microsoft.graph.stringKeyStringValuePair",
		"key": string(key), "value": string(value)})
}

func (a *API) provLogSnapshot() []map[string]any {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.provLogs)
}

// provisioningLogs answers GET /auditLogs/provisioning, newest first, with $top.
func (a *API) provisioningLogs(c *call) {
	c.route = "auditLogs/provisioning"
	if !c.method("GET") || !c.allow(permAuditLog) {
		return
	}
	logs := a.provLogSnapshot()
	slices.Reverse(logs)
	items := make([]any, 0, len(logs))
	for _, l := range logs {
		items = append(items, l)
	}
	c.write(http.StatusOK, map[string]any{"@odata.context": odataBase + "auditLogs/provisioning", "value": items})
}
