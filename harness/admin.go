package harness

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"

	"github.com/ssowizard/ssowizard/harness/tenant"
)

// loopbackOnly refuses requests that do not come from this machine: the admin endpoints
// change how the harness answers everyone, so only a local operator may call them, even
// when the harness listens beyond loopback.
func loopbackOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			writeAdminJSON(w, http.StatusForbidden, map[string]string{"error": "the admin endpoints answer loopback clients only"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// scenarioState is the admin endpoint's view of the scenarios in force.
type scenarioState struct {
	Available []string            `json:"available"`
	Tenant    []string            `json:"tenant"`
	Apps      map[string][]string `json:"apps"`
}

// scenarioChange selects the scenarios of the tenant (AppID empty) or of one app.
type scenarioChange struct {
	AppID     string   `json:"app_id"`
	Scenarios []string `json:"scenarios"`
}

// scenariosHandler serves /harness/scenarios: GET shows what is in force, PUT replaces
// the scenarios of the tenant or of one app, effective from the next request.
func scenariosHandler(store *tenant.Store) http.Handler {
	state := func() scenarioState {
		s := scenarioState{Available: tenant.Scenarios(), Tenant: store.ScenariosFor(""), Apps: map[string][]string{}}
		if s.Tenant == nil {
			s.Tenant = []string{}
		}
		for _, a := range store.Apps() {
			if len(a.Scenarios) > 0 {
				s.Apps[a.AppID] = a.Scenarios
			}
		}
		return s
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			writeAdminJSON(w, http.StatusOK, state())
		case http.MethodPut, http.MethodPost:
			var c scenarioChange
			dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&c); err != nil {
				writeAdminJSON(w, http.StatusBadRequest, map[string]string{"error": "the body must be {\"app_id\": \"…\", \"scenarios\": [\"…\"]}: " + err.Error()})
				return
			}
			if err := store.SetScenarios(c.AppID, c.Scenarios); err != nil {
				status := http.StatusBadRequest
				if errors.Is(err, tenant.ErrNotFound) {
					status = http.StatusNotFound
				}
				writeAdminJSON(w, status, map[string]string{"error": err.Error()})
				return
			}
			writeAdminJSON(w, http.StatusOK, state())
		default:
			w.Header().Set("Allow", "GET, PUT, POST")
			writeAdminJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use GET to read the scenarios, PUT to set them"})
		}
	})
}

func writeAdminJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
