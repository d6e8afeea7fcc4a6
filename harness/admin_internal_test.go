package harness

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestAdminLoopbackOnly(t *testing.T) {
	ok := loopbackOnly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	for _, tc := range []struct {
		remote string
		want   int
	}{
		{"127.0.0.1:5000", http.StatusNoContent},
		{"[::1]:5000", http.StatusNoContent},
		{"192.0.2.7:5000", http.StatusForbidden},
		{"[2001:db8::1]:5000", http.StatusForbidden},
		{"garbage", http.StatusForbidden},
	} {
		req := httptest.NewRequest(http.MethodGet, "/harness/scenarios", nil)
		req.RemoteAddr = tc.remote
		rec := httptest.NewRecorder()
		ok.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("admin request from %q = %d, want %d", tc.remote, rec.Code, tc.want)
		}
	}
}
