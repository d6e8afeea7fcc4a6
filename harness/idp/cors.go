package idp

import (
	"net/http"
)

// Entra answers its public documents (discovery, keys, instance discovery) to any
// origin, as its captured answers show: Access-Control-Allow-Origin: * with
// Access-Control-Allow-Methods: GET, OPTIONS. The token endpoint answers browsers too,
// so that a single-page app can read the answer, and refuses cross-origin redemption
// for any client type but a single-page application (AADSTS9002326).

// corsGET marks a public GET document readable from any origin.
func corsGET(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Methods", "GET, OPTIONS")
		h(w, r)
	}
}

// corsToken lets a browser read the token endpoint's answer.
func corsToken(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") != "" {
			w.Header().Set("Access-Control-Allow-Origin", "*")
		}
		h(w, r)
	}
}

// preflight answers a CORS preflight for methods, allowing the headers asked for.
func preflight(methods string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Methods", methods)
		if ask := r.Header.Get("Access-Control-Request-Headers"); ask != "" {
			h.Set("Access-Control-Allow-Headers", ask)
		}
		h.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusOK)
	}
}

// errCrossOrigin is Entra's refusal of a token redemption from a browser for a client
// that has no single-page-application redirect URI (the harness's apps have web ones).
func errCrossOrigin(origin string) *aadError {
	return errInvalidRequest(9002326, "Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type. Request origin: '"+origin+"'.")
}
