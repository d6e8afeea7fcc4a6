package entrasaml_test

import (
	"bytes"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssowizard/ssowizard/harness/entrasaml"
)

const nsXSI = "http://www.w3.org/2001/XMLSchema-instance"

// namespaceErrors checks the schema-level namespace rules on a document as sent: every
// prefix of an element, of an attribute and of a QName in an xsi:type value is declared
// in scope. A reader such as Microsoft.IdentityModel's WS-Federation metadata reader
// resolves the RoleDescriptor's xsi:type, and finds no signing keys when it cannot.
func namespaceErrors(x []byte) ([]string, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(bytes.TrimPrefix(x, []byte("\xef\xbb\xbf"))); err != nil {
		return nil, err
	}
	var errs []string
	var walk func(el *etree.Element, scope map[string]string, path string)
	walk = func(el *etree.Element, scope map[string]string, path string) {
		inner := make(map[string]string, len(scope)+2)
		for k, v := range scope {
			inner[k] = v
		}
		for _, a := range el.Attr {
			if a.Space == "xmlns" {
				inner[a.Key] = a.Value
			}
		}
		path += "/" + el.FullTag()
		if el.Space != "" && inner[el.Space] == "" {
			errs = append(errs, path+": element prefix "+el.Space+" is not declared")
		}
		for _, a := range el.Attr {
			if a.Space == "" || a.Space == "xmlns" || a.Space == "xml" {
				continue
			}
			ns := inner[a.Space]
			if ns == "" {
				errs = append(errs, path+"/@"+a.FullKey()+": attribute prefix is not declared")
				continue
			}
			if ns == nsXSI && a.Key == "type" {
				if p, _, ok := strings.Cut(a.Value, ":"); ok && inner[p] == "" {
					errs = append(errs, path+"/@"+a.FullKey()+"=\""+a.Value+"\": QName prefix "+p+" is not in scope")
				}
			}
		}
		for _, c := range el.ChildElements() {
			walk(c, inner, path)
		}
	}
	walk(doc.Root(), map[string]string{"xml": "http://www.w3.org/XML/1998/namespace"}, "")
	return errs, nil
}

// verifyEnveloped checks the enveloped signature of the document's root as a
// relying party would: parsed afresh, trusting only cert.
func verifyEnveloped(t *testing.T, x []byte, cert *x509.Certificate) {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(bytes.TrimPrefix(x, []byte("\xef\xbb\xbf"))); err != nil {
		t.Fatal(err)
	}
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	vc.IdAttribute = "ID"
	vc.Clock = dsig.NewFakeClockAt(cert.NotBefore.Add(time.Hour))
	if _, err := vc.Validate(doc.Root()); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
}

// Signed federation metadata keeps every namespace its QNames use, and its signature
// still verifies over the document as sent.
func TestSignedMetadataNamespaces(t *testing.T) {
	idp, _ := keys(t)
	md, err := entrasaml.BuildMetadata(entrasaml.MetadataOptions{
		TenantID: tenant, Certs: []*x509.Certificate{idp.Cert}, Signer: idp, BOM: true, Rand: seeded(),
	})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := namespaceErrors(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Error(e)
	}
	if !bytes.Contains(md, []byte(`xsi:type="fed:SecurityTokenServiceType"`)) {
		t.Error("no RoleDescriptor of xsi:type fed:SecurityTokenServiceType, want Entra's WS-Federation role")
	}
	verifyEnveloped(t, md, idp.Cert)

	// The check itself fails on the document the in-place canonicalization produced.
	broken := bytes.Replace(md, []byte(` xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706"`), nil, 1)
	broken = bytes.ReplaceAll(broken, []byte(`<fed:`), []byte(`<fed:`))
	if errs, _ := namespaceErrors(broken); len(errs) == 0 {
		t.Error("namespaceErrors finds nothing wrong with a RoleDescriptor whose fed: is undeclared")
	}
}

// A signed Response and Assertion keep their namespaces and verify, whichever is signed.
func TestSignedResponseNamespaces(t *testing.T) {
	idp, _ := keys(t)
	for _, mode := range []entrasaml.SignMode{entrasaml.SignAssertion, entrasaml.SignResponse, entrasaml.SignBoth} {
		r, err := entrasaml.BuildResponse(entrasaml.ResponseOptions{
			TenantID: tenant, Audience: spID, ACS: acs, InResponseTo: "_req1", User: user(),
			Signer: idp, Sign: mode, Now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), Rand: seeded(),
		})
		if err != nil {
			t.Fatal(err)
		}
		errs, err := namespaceErrors(r.XML)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range errs {
			t.Errorf("%s: %s", mode, e)
		}
	}
}
