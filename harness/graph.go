package harness

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ssowizard/ssowizard/harness/graphapi"
)

// withGraph sends Graph calls (paths under /v1.0/) to the Graph side and the rest to
// mux. A mux pattern cannot do it: /v1.0/ would overlap the login side's /{tenant}/…
// patterns, which http.ServeMux refuses to register.
func withGraph(graph http.Handler, mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1.0/") {
			graph.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// graphSettings is the admin endpoint's form of graphapi.Settings, durations written
// as Go durations ("1.5s").
type graphSettings struct {
	PropagationDelay string        `json:"propagation_delay"`
	Throttle         graphThrottle `json:"throttle"`
}

type graphThrottle struct {
	Requests   int    `json:"requests"`
	RetryAfter string `json:"retry_after"`
}

func toGraphSettings(s graphapi.Settings) graphSettings {
	return graphSettings{PropagationDelay: s.PropagationDelay.String(),
		Throttle: graphThrottle{Requests: s.Throttle.Requests, RetryAfter: s.Throttle.RetryAfter.String()}}
}

func (g graphSettings) parse() (graphapi.Settings, error) {
	var s graphapi.Settings
	var err error
	if g.PropagationDelay != "" {
		if s.PropagationDelay, err = time.ParseDuration(g.PropagationDelay); err != nil {
			return s, fmt.Errorf("propagation_delay %q is not a duration such as \"5s\"", g.PropagationDelay)
		}
	}
	s.Throttle.Requests = g.Throttle.Requests
	if g.Throttle.RetryAfter != "" {
		if s.Throttle.RetryAfter, err = time.ParseDuration(g.Throttle.RetryAfter); err != nil {
			return s, fmt.Errorf("throttle.retry_after %q is not a duration such as \"2s\"", g.Throttle.RetryAfter)
		}
	}
	return s, nil
}

// graphSettingsHandler serves /harness/graph: GET shows the Graph side's faults, PUT
// replaces them, effective from the next Graph call.
func graphSettingsHandler(api *graphapi.API) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			writeAdminJSON(w, http.StatusOK, toGraphSettings(api.Settings()))
		case http.MethodPut, http.MethodPost:
			var g graphSettings
			dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&g); err != nil {
				writeAdminJSON(w, http.StatusBadRequest, map[string]string{"error": `the body must be {"propagation_delay": "5s", "throttle": {"requests": 2, "retry_after": "1s"}}: ` + err.Error()})
				return
			}
			s, err := g.parse()
			if err == nil {
				err = api.SetSettings(s)
			}
			if err != nil {
				writeAdminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
				return
			}
			writeAdminJSON(w, http.StatusOK, toGraphSettings(api.Settings()))
		default:
			w.Header().Set("Allow", "GET, PUT, POST")
			writeAdminJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use GET to read the Graph faults, PUT to set them"})
		}
	})
}
