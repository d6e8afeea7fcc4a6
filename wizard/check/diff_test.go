package check_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ssowizard/ssowizard/wizard/check"
)

func TestDiff(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"https://x/cb", "https://x/cb", ""},
		{"", "", ""},
		{"https://x/cb", "http://x/cb/", "http[-s-]://x/cb{+/+}"},
		{"https://vendor.example/callback", "https://vendor.example/callback/", "https://vendor.example/callback{+/+}"},
		{"https://vendor.example/callback/", "https://vendor.example/callback", "https://vendor.example/callback[-/-]"},
		{"", "abc", "{+abc+}"},
		{"abc", "", "[-abc-]"},
		{"https://v.example/Callback", "https://v.example/callback", "https://v.example/[-C-]{+c+}allback"},
		{"https://v.example/cb", "https://w.example/cb", "https://[-v-]{+w+}.example/cb"},
		{"https://v.example/cb", "https://v.example:8443/cb", "https://v.example{+:8443+}/cb"},
		// A short shared run between two changes is folded into one change.
		{"https://x/abc", "https://x/xbz", "https://x/[-abc-]{+xbz+}"},
		// Invisible and white-space characters are named.
		{"https://x/cb", "https://x/cb\n", "https://x/cb{+<newline>+}"},
		{"https://x/cb", "https://x/cb\r\n", "https://x/cb{+<CR><newline>+}"},
		{"a b", "ab", "a[-<space>-]b"},
		{"ab", "a\tb", "a{+<tab>+}b"},
		{"https://x/cb", "\u200bhttps://x/cb", "{+<U+200B>+}https://x/cb"},
		{"a\u00a0b", "a b", "a[-<U+00A0>-]{+<space>+}b"},
		{"a\tb c", "a\tb c!", "a<tab>b c{+!+}"},
		// A look-alike letter shows its code point.
		{"https://vendor.example/cb", "https://vendor.ex\u0430mple/cb", "https://vendor.ex[-a-]{+\u0430<U+0430>+}mple/cb"},
	} {
		if got := check.Diff(tc.a, tc.b); got != tc.want {
			t.Errorf("Diff(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestDiffRoundTrip checks on random strings of printable ASCII (no brackets, braces,
// spaces or markers) that dropping the insertions gives a back, and dropping the
// deletions gives b: the rendering loses nothing and invents nothing.
func TestDiffRoundTrip(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	const alphabet = "abc/:.?=xyz01"
	randomString := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		return string(b)
	}
	mutate := func(s string) string {
		b := []byte(s)
		for range rnd.IntN(4) {
			switch i := rnd.IntN(len(b) + 1); rnd.IntN(3) {
			case 0:
				b = append(b[:i], append([]byte{alphabet[rnd.IntN(len(alphabet))]}, b[i:]...)...)
			case 1:
				if i < len(b) {
					b = append(b[:i], b[i+1:]...)
				}
			default:
				if i < len(b) {
					b[i] = alphabet[rnd.IntN(len(alphabet))]
				}
			}
		}
		return string(b)
	}
	for i := range 500 {
		a := randomString(rnd.IntN(40))
		b := mutate(a)
		if i%5 == 0 {
			b = randomString(rnd.IntN(40))
		}
		d := check.Diff(a, b)
		if a == b {
			if d != "" {
				t.Fatalf("Diff(%q, %q) = %q, want \"\"", a, b, d)
			}
			continue
		}
		if gotA, gotB := undiff(t, d); gotA != a || gotB != b {
			t.Fatalf("Diff(%q, %q) = %q, which reads back as %q, %q", a, b, d, gotA, gotB)
		}
	}
}

// TestDiffLong checks strings too long for the character alignment: the differing
// middle is shown whole and the rendering still reads back.
func TestDiffLong(t *testing.T) {
	a := "https://x/" + strings.Repeat("ab", 1500) + "/end"
	b := "https://x/" + strings.Repeat("ba", 1500) + "/end"
	d := check.Diff(a, b)
	if gotA, gotB := undiff(t, d); gotA != a || gotB != b {
		t.Fatalf("long Diff does not read back")
	}
	if !strings.HasPrefix(d, "https://x/") || !strings.HasSuffix(d, "/end") {
		t.Errorf("long Diff lost the shared prefix or suffix: %.40q…", d)
	}
}

// undiff reads a Diff rendering back into its two sides.
func undiff(t *testing.T, d string) (a, b string) {
	t.Helper()
	var sa, sb strings.Builder
	for len(d) > 0 {
		switch {
		case strings.HasPrefix(d, "[-"):
			end := strings.Index(d, "-]")
			if end < 0 {
				t.Fatalf("unclosed [- in %q", d)
			}
			sa.WriteString(d[2:end])
			d = d[end+2:]
		case strings.HasPrefix(d, "{+"):
			end := strings.Index(d, "+}")
			if end < 0 {
				t.Fatalf("unclosed {+ in %q", d)
			}
			sb.WriteString(d[2:end])
			d = d[end+2:]
		default:
			sa.WriteByte(d[0])
			sb.WriteByte(d[0])
			d = d[1:]
		}
	}
	return sa.String(), sb.String()
}
