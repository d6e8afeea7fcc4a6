package idp_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"testing"

	"github.com/ssowizard/ssowizard/entra"
)

// Every refusal the harness delivers in this package's tests is recorded (code and
// place), and after the tests each catalogued code must have been delivered only where
// Entra's catalogue says Entra delivers it: the catalogue's Delivery is checked against
// the emulator, not just written down.

// deliveries is a set of "code place" records.
type deliveries struct {
	sync.Mutex
	seen map[string]bool
}

var delivered = &deliveries{seen: map[string]bool{}}

// deliveryPlaces maps the harness's log attribute to the catalogue's places.
var deliveryPlaces = map[string]entra.Delivery{
	"":            entra.InTokenJSON,
	"page":        entra.OnErrorPage,
	"redirect":    entra.AtRedirect,
	"login page":  entra.OnSignInPage,
	"saml status": entra.InSAMLStatus,
}

// recorder is a slog handler that keeps the "refused" records' code and place.
type recorder struct{ into *deliveries }

func (h recorder) Enabled(context.Context, slog.Level) bool { return true }
func (h recorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h recorder) WithGroup(string) slog.Handler            { return h }
func (h recorder) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "refused" {
		return nil
	}
	code, place := int64(0), ""
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "aadsts":
			code = a.Value.Int64()
		case "delivery":
			place = a.Value.String()
		}
		return true
	})
	h.into.Lock()
	h.into.seen[fmt.Sprintf("%d %s", code, place)] = true
	h.into.Unlock()
	return nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if wrong := delivered.wrong(); len(wrong) > 0 {
			for _, w := range wrong {
				fmt.Fprintln(os.Stderr, "FAIL delivery:", w)
			}
			code = 1
		}
	}
	os.Exit(code)
}

// wrong lists the recorded deliveries of catalogued codes at a place the
// catalogue does not name.
func (d *deliveries) wrong() []string {
	d.Lock()
	defer d.Unlock()
	var out []string
	for k := range d.seen {
		var code int
		var place string
		fmt.Sscanf(k, "%d", &code)
		place = k[len(fmt.Sprint(code))+1:]
		a, ok := entra.Lookup(code)
		if !ok {
			continue
		}
		where, known := deliveryPlaces[place]
		if !known {
			out = append(out, fmt.Sprintf("AADSTS%d delivered at %q, a place the test does not know", code, place))
			continue
		}
		if a.Delivery&where == 0 {
			out = append(out, fmt.Sprintf("the harness delivers AADSTS%d by %s; the catalogue says %s", code, where, a.Delivery))
		}
	}
	sort.Strings(out)
	return out
}

// The recorder itself catches a delivery the catalogue does not list.
func TestMisdeliveryIsCaught(t *testing.T) {
	d := &deliveries{seen: map[string]bool{}}
	log := slog.New(recorder{d})
	log.Info("refused", "aadsts", 90002, "delivery", "saml status")
	log.Info("refused", "aadsts", 90002, "delivery", "page")
	log.Info("refused", "aadsts", 1, "delivery", "nowhere") // not catalogued: not judged
	got := d.wrong()
	want := "the harness delivers AADSTS90002 by SAML StatusMessage; the catalogue says token endpoint JSON or Entra's error page"
	if len(got) != 1 || got[0] != want {
		t.Errorf("wrong() = %q, want only %q", got, want)
	}
}
