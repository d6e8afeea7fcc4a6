package inspect

import (
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// The eight signature wrapping variants of Somorovsky et al., "On Breaking SAML: Be
// Whoever You Want to Be" (USENIX Security 2012), built on a genuinely signed Entra-shaped
// response. Each must be reported as signature-wrapped with no attacker data read.

const attacker = "attacker@evil.example"

func firstChild(el *etree.Element, tag string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == tag {
			return c
		}
	}
	return nil
}

// evilCopy returns a copy of el whose NameID is the attacker's, with the given ID,
// and without its Signature unless keepSig.
func evilCopy(el *etree.Element, id string, keepSig bool) *etree.Element {
	e := el.Copy()
	if id != "" {
		e.CreateAttr("ID", id)
	}
	if !keepSig {
		if s := firstChild(e, "Signature"); s != nil {
			e.RemoveChild(s)
		}
	}
	a := e
	if e.Tag == "Response" {
		a = firstChild(e, "Assertion")
	}
	firstChild(firstChild(a, "Subject"), "NameID").SetText(attacker)
	return e
}

func withoutSig(el *etree.Element) *etree.Element {
	e := el.Copy()
	if s := firstChild(e, "Signature"); s != nil {
		e.RemoveChild(s)
	}
	return e
}

func dsObject(children ...*etree.Element) *etree.Element {
	o := etree.NewElement("ds:Object")
	for _, c := range children {
		o.AddChild(c)
	}
	return o
}

func TestInspectSAMLSignatureWrapping(t *testing.T) {
	keys(t)
	type build func(root, assertion *etree.Element) *etree.Element
	replace := func(parent, old, new *etree.Element) {
		i := old.Index()
		parent.RemoveChildAt(i)
		parent.InsertChildAt(i, new)
	}
	tests := []struct {
		name string
		sign string
		mk   build
	}{
		{"XSW1 signed response moved into the Signature's Object", "response", func(root, _ *etree.Element) *etree.Element {
			evil := evilCopy(root, "_evil", false)
			sig := firstChild(root, "Signature").Copy()
			sig.AddChild(dsObject(withoutSig(root)))
			evil.InsertChildAt(firstChild(evil, "Issuer").Index()+1, sig)
			return evil
		}},
		{"XSW2 signed response placed beside a detached Signature", "response", func(root, _ *etree.Element) *etree.Element {
			evil := evilCopy(root, "_evil", false)
			at := firstChild(evil, "Issuer").Index() + 1
			evil.InsertChildAt(at, firstChild(root, "Signature").Copy())
			evil.InsertChildAt(at, withoutSig(root))
			return evil
		}},
		{"XSW3 unsigned evil assertion before the signed one", "assertion", func(root, a *etree.Element) *etree.Element {
			root.InsertChildAt(a.Index(), evilCopy(a, "_evil", false))
			return root
		}},
		{"XSW4 signed assertion wrapped inside the evil one", "assertion", func(root, a *etree.Element) *etree.Element {
			evil := evilCopy(a, "_evil", false)
			evil.AddChild(a.Copy())
			replace(root, a, evil)
			return root
		}},
		{"XSW5 evil assertion keeps the signature, original appended", "assertion", func(root, a *etree.Element) *etree.Element {
			orig := withoutSig(a)
			replace(root, a, evilCopy(a, "", true))
			root.AddChild(orig)
			return root
		}},
		{"XSW6 original assertion inside the evil assertion's Signature", "assertion", func(root, a *etree.Element) *etree.Element {
			evil := evilCopy(a, "_evil", true)
			firstChild(evil, "Signature").AddChild(withoutSig(a))
			replace(root, a, evil)
			return root
		}},
		{"XSW7 signed assertion hidden in Extensions", "assertion", func(root, a *etree.Element) *etree.Element {
			ext := etree.NewElement("samlp:Extensions")
			ext.AddChild(a.Copy())
			evil := evilCopy(a, "", false)
			replace(root, a, evil)
			root.InsertChildAt(evil.Index(), ext)
			return root
		}},
		{"XSW8 original assertion in an Object of the evil assertion's Signature", "assertion", func(root, a *etree.Element) *etree.Element {
			evil := evilCopy(a, "", true)
			firstChild(evil, "Signature").AddChild(dsObject(withoutSig(a)))
			replace(root, a, evil)
			return root
		}},
		{"signed assertion in the Response's Signature Object, evil assertion in its place", "both", func(root, a *etree.Element) *etree.Element {
			firstChild(root, "Signature").AddChild(dsObject(a.Copy()))
			replace(root, a, evilCopy(a, "_evil", false))
			return root
		}},
	}
	for _, tt := range tests {
		for _, trusted := range []bool{true, false} {
			name := tt.name
			if !trusted {
				name += " (no trust input)"
			}
			t.Run(name, func(t *testing.T) {
				d := mustParse(t, buildResponse(t, respSpec{sign: tt.sign}))
				root := d.Root()
				out := tt.mk(root, firstChild(root, "Assertion"))
				d.SetRoot(out)
				doc := serialize(t, d)
				if !strings.Contains(string(doc), attacker) {
					t.Fatal("the attack document carries no attacker data")
				}
				o := trusting()
				if !trusted {
					o.Certs = nil
				}
				r := inspectSAML(doc, nil, o)
				r.finish()
				if !r.Has(CodeSignatureWrapped) {
					t.Errorf("findings %v lack %s", codes(r), CodeSignatureWrapped)
				}
				if strings.Contains(reportedIdentity(r), "attacker") {
					t.Errorf("attacker identity reported: %q", reportedIdentity(r))
				}
				if r.ClaimsSigned || r.OK() {
					t.Errorf("ClaimsSigned = %v, Verdict = %q; want false, error", r.ClaimsSigned, r.Verdict)
				}
				if r.Signature == nil || r.Signature.Status == SigValid {
					t.Errorf("Signature = %+v, want not valid", r.Signature)
				}
			})
		}
	}
}
