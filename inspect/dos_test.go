package inspect

import (
	"flag"
	"strings"
	"testing"
	"time"
)

// The work an unauthenticated sender can cause is bounded by the input's size. These
// tests measure work by counters and allocations, never by the clock: doubling the
// input must at most double the work, on the worst shapes the limits allow.

// c14nWork canonicalizes the root of doc and returns the work counted.
func c14nWork(t *testing.T, doc []byte, prefixList string) int {
	t.Helper()
	d, err := parseXML(doc)
	if err != nil {
		t.Fatalf("parseXML: %v", err)
	}
	c := &c14nWriter{}
	if err := c.run(d.Root(), nil, prefixList); err != nil {
		t.Fatalf("c14n: %v", err)
	}
	return c.work
}

func parseWork(t *testing.T, doc []byte) int {
	t.Helper()
	_, work, err := buildTreeCounted(newXMLTokenizer(doc))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return work
}

// checkLinear fails unless work at 2n is at most 2.1 times work at n, and work per
// input byte stays under perByte.
func checkLinear(t *testing.T, what string, n1, w1, size1, w2, size2 int, perByte float64) {
	t.Helper()
	if float64(w2) > 2.1*float64(w1) {
		t.Errorf("%s: work %d at n=%d, %d at n=%d: more than doubles when the input doubles", what, w1, n1, w2, 2*n1)
	}
	for _, p := range [][2]int{{w1, size1}, {w2, size2}} {
		if float64(p[0]) > perByte*float64(p[1]) {
			t.Errorf("%s: work %d for %d bytes, over %.0f per byte", what, p[0], p[1], perByte)
		}
	}
}

func TestC14NWorkIsLinear(t *testing.T) {
	const n = 2000
	d1, list := shapeC14NWithinLimits(n)
	d2, _ := shapeC14NWithinLimits(2 * n)
	checkLinear(t, "c14n, prefixes redeclared under an inclusive list", n, c14nWork(t, d1, list), len(d1), c14nWork(t, d2, list), len(d2), 1)
	// Issue 14's hang shape, its prefixes cut to what the parser admits: the work
	// no longer grows with the square of the prefixes.
	h1, h2 := shapeC14NPrefixes(60, n), shapeC14NPrefixes(60, 2*n)
	d, err := parseXML(h1)
	if err != nil {
		t.Fatal(err)
	}
	si := d.Root().FindElement("./Signature/SignedInfo")
	list60 := attr(si.FindElement("./CanonicalizationMethod/InclusiveNamespaces"), "PrefixList")
	w := func(doc []byte) int {
		d, err := parseXML(doc)
		if err != nil {
			t.Fatal(err)
		}
		c := &c14nWriter{}
		if err := c.run(d.Root().FindElement("./Signature/SignedInfo"), nil, list60); err != nil {
			t.Fatal(err)
		}
		return c.work
	}
	checkLinear(t, "c14n of issue 14's SignedInfo", n, w(h1), len(h1), w(h2), len(h2), 1)
}

func TestParseWorkIsLinear(t *testing.T) {
	const n = 2000
	for name, shape := range map[string]func(int) []byte{
		"attributes in scope at their bound": shapeParseWithinLimits,
		"elements at the attribute bound":    shapeWideElements,
	} {
		d1, d2 := shape(n), shape(2*n)
		checkLinear(t, name, n, parseWork(t, d1), len(d1), parseWork(t, d2), len(d2), 48)
	}
}

// TestInspectAllocationsAreLinear runs the whole inspector on the worst admitted shapes:
// allocations, like work, at most double when the input does.
func TestInspectAllocationsAreLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts take a few seconds")
	}
	const n = 1000
	opts := Options{Now: testNow}
	c14nDoc := func(n int) []byte { d, _ := shapeC14NWithinLimits(n); return d }
	for name, shape := range map[string]func(int) []byte{
		"attributes in scope at their bound": shapeParseWithinLimits,
		"elements at the attribute bound":    shapeWideElements,
		"prefixes redeclared":                c14nDoc,
		"issue 14's SignedInfo, 60 prefixes": func(n int) []byte { return shapeC14NPrefixes(60, n) },
	} {
		d1, d2 := shape(n), shape(2*n)
		a1 := testing.AllocsPerRun(1, func() { Inspect(d1, opts) })
		a2 := testing.AllocsPerRun(1, func() { Inspect(d2, opts) })
		if a2 > 2.1*a1 {
			t.Errorf("%s: %.0f allocations at n=%d, %.0f at n=%d: more than double", name, a1, n, a2, 2*n)
		}
	}
}

// TestOldHangShapesAreRefusedUnread: the shapes of issue 14 that took seconds to
// minutes are refused by the parser's bounds before any tree, canonical form or
// signature work, with a finding saying why.
func TestOldHangShapesAreRefusedUnread(t *testing.T) {
	for name, doc := range map[string][]byte{
		"c14n: 1000 prefixes, 2500 children (36 KB, 40 s before)":       shapeC14NPrefixes(1000, 2500),
		"one element, 20000 attributes (209 KB, 3.8 s before)":          shapeManyAttributes(20000),
		"5000 prefixes, 20000 prefixed children (544 KB, 5.5 s before)": shapeManyNamespaces(5000, 20000),
	} {
		_, work, err := buildTreeCounted(newXMLTokenizer(doc))
		if err == nil || !strings.Contains(err.Error(), "attributes") {
			t.Errorf("%s: parse error %v, want the attribute bound", name, err)
		}
		if work > len(doc) {
			t.Errorf("%s: %d units of work before refusing %d bytes", name, work, len(doc))
		}
		r := Inspect(doc, Options{Now: testNow})
		if !r.Has(CodeXMLTooManyAttrs) || r.Kind != KindSAMLResponse {
			t.Errorf("%s: kind %q findings %v, want a rejected response with %s", name, r.Kind, codes(r), CodeXMLTooManyAttrs)
		}
	}
}

// TestSignedInfoBoundsBeforeAuthentication: SignedInfo's shape and InclusiveNamespaces
// are bounded before it is canonicalized, and what Entra and other IdPs send fits.
func TestSignedInfoBoundsBeforeAuthentication(t *testing.T) {
	keys(t)
	for name, tt := range map[string]struct {
		doc  []byte
		want string
	}{
		"33 elements in SignedInfo": {shapeC14NPrefixes(4, 30), "more than 32 elements"},
		"17 inclusive prefixes":     {shapeC14NPrefixes(17, 0), "17 prefixes"},
	} {
		r := Inspect(tt.doc, Options{Now: testNow})
		f := finding(r, CodeSignatureInvalid)
		if f == nil || !strings.Contains(f.Message, tt.want) {
			t.Errorf("%s: findings %v, want signature-invalid saying %q", name, codes(r), tt.want)
		}
	}
	// Within the bounds the signature is judged on its value, as before.
	r := Inspect(shapeC14NPrefixes(16, 10), Options{Now: testNow})
	if f := finding(r, CodeSignatureInvalid); f == nil || strings.Contains(f.Message, "prefixes") || strings.Contains(f.Message, "elements") {
		t.Errorf("16 prefixes, 10 children: findings %v, want a signature judged on its value", codes(r))
	}
}

// FuzzC14NWork canonicalizes arbitrary documents with arbitrary inclusive prefix lists
// (cut to the admitted number): the work must stay linear in the input.
func FuzzC14NWork(f *testing.F) {
	keys(f)
	d, list := shapeC14NWithinLimits(20)
	f.Add(d, list)
	f.Add(shapeC14NPrefixes(10, 10), "p0 p1 p2 #default")
	f.Add(buildResponse(f, respSpec{sign: "both"}), "")
	f.Add([]byte(`<a xmlns="urn:a"><b xmlns=""><c xmlns:x="urn:x" x:y="1"/></b></a>`), "#default x")
	f.Fuzz(func(t *testing.T, doc []byte, prefixList string) {
		if len(doc) > 64<<10 {
			return
		}
		fields := strings.Fields(prefixList)
		if len(fields) > maxInclusivePrefixes {
			fields = fields[:maxInclusivePrefixes]
		}
		parsed, err := parseXML(doc)
		if err != nil {
			return
		}
		c := &c14nWriter{}
		_ = c.run(parsed.Root(), nil, strings.Join(fields, " "))
		if limit := 2*len(doc) + 4*maxInclusivePrefixes; c.work > limit {
			t.Errorf("c14n work %d for %d bytes and %d prefixes, over %d", c.work, len(doc), len(fields), limit)
		}
	})
}

// FuzzParseWork parses arbitrary documents: the parser's work, counted, must stay
// linear in the input, and Inspect must finish on them (the 64 KiB bound keeps a
// regression from hanging the fuzzer for long).
func FuzzParseWork(f *testing.F) {
	keys(f)
	f.Add(shapeParseWithinLimits(50))
	f.Add(shapeWideElements(5))
	f.Add(shapeManyAttributes(100))
	f.Add(shapeManyNamespaces(50, 100))
	f.Add(buildResponse(f, respSpec{sign: "both"}))
	opts := Options{Now: testNow}
	// While fuzzing, an input that hangs is a finding; run as a unit test on the seeds
	// (heavy by design), a busy machine under -race could miss any time bound, and the
	// work counter above is what bounds them.
	fuzzing := flag.Lookup("test.fuzz").Value.String() != ""
	f.Fuzz(func(t *testing.T, doc []byte) {
		if len(doc) > 64<<10 {
			return
		}
		_, work, _ := buildTreeCounted(newXMLTokenizer(doc))
		if limit := 48*len(doc) + maxElementAttrs*maxElementAttrs; work > limit {
			t.Errorf("parse work %d for %d bytes, over %d", work, len(doc), limit)
		}
		start := time.Now()
		Inspect(doc, opts)
		if d := time.Since(start); fuzzing && d > 10*time.Second {
			// Not a timing bound: a report of an input that hangs, which the counters missed.
			t.Errorf("Inspect took %v on %d bytes", d, len(doc))
		}
	})
}
