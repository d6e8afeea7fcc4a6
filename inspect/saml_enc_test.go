package inspect

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"slices"
	"testing"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/xmlenc"
)

// encryptAssertion replaces the response's Assertion by an EncryptedAssertion for the
// SP certificate, with crewjam/saml's encrypter (an independent implementation) or,
// for AES-GCM, which crewjam cannot encrypt, by hand.
func encryptAssertion(t *testing.T, doc []byte, mode string) []byte {
	t.Helper()
	d := mustParse(t, doc)
	root := d.Root()
	a := firstChild(root, "Assertion")
	plainDoc := etree.NewDocument()
	plainDoc.SetRoot(detach(a))
	plain, err := plainDoc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	var ed *etree.Element
	switch mode {
	case "oaep-cbc":
		ed, err = xmlenc.OAEP().Encrypt(spKey.cert, plain, nil)
	case "rsa15-cbc":
		ed, err = xmlenc.PKCS1v15().Encrypt(spKey.cert, plain, nil)
	case "oaep-gcm":
		ed = gcmEncrypt(t, plain)
	}
	if err != nil {
		t.Fatal(err)
	}
	enc := etree.NewElement("EncryptedAssertion")
	enc.CreateAttr("xmlns", nsAssertion)
	enc.AddChild(ed)
	i := a.Index()
	root.RemoveChildAt(i)
	root.InsertChildAt(i, enc)
	return serialize(t, d)
}

func gcmEncrypt(t *testing.T, plain []byte) *etree.Element {
	key := make([]byte, 32)
	nonce := make([]byte, 12)
	rand.Read(key)
	rand.Read(nonce)
	block, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCM(block)
	ct := append(nonce, aead.Seal(nil, nonce, plain, nil)...)
	wrapped, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, &spKey.key.PublicKey, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := etree.NewDocument()
	err = d.ReadFromString(fmt.Sprintf(`<xenc:EncryptedData xmlns:xenc="%s" Type="http://www.w3.org/2001/04/xmlenc#Element"><xenc:EncryptionMethod Algorithm="%s"/><KeyInfo xmlns="%s"><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="%s"><DigestMethod Algorithm="%s"/></xenc:EncryptionMethod><xenc:CipherData><xenc:CipherValue>%s</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></KeyInfo><xenc:CipherData><xenc:CipherValue>%s</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>`,
		nsXMLEnc, encAES256GCM, nsDSig, encRSAOAEP, algDigestSHA1,
		base64.StdEncoding.EncodeToString(wrapped), base64.StdEncoding.EncodeToString(ct)))
	if err != nil {
		t.Fatal(err)
	}
	return d.Root()
}

func TestInspectSAMLEncryptedAssertion(t *testing.T) {
	keys(t)
	tests := []struct {
		name       string
		sign       string
		mode       string
		key        any
		want       string
		wantSigned []string
	}{
		{"rsa-oaep + aes256-cbc", "assertion", "oaep-cbc", spKey.key, "", []string{"assertion"}},
		{"rsa-1_5 + aes256-cbc", "assertion", "rsa15-cbc", spKey.key, "", []string{"assertion"}},
		{"rsa-oaep + aes256-gcm", "assertion", "oaep-gcm", spKey.key, "", []string{"assertion"}},
		{"response signed around the ciphertext", "response", "oaep-cbc", spKey.key, "", []string{"response"}},
		{"no key", "assertion", "oaep-cbc", nil, CodeEncryptedNoKey, []string{}},
		{"wrong key", "assertion", "oaep-cbc", idpKey.key, CodeDecryptFailed, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc []byte
			if tt.sign == "response" {
				// Encrypt first, then sign the Response over the ciphertext, as Entra does.
				d := mustParse(t, encryptAssertion(t, buildResponse(t, respSpec{sign: "none"}), tt.mode))
				signInPlace(t, d.Root(), idpKey, false)
				doc = serialize(t, d)
			} else {
				doc = encryptAssertion(t, buildResponse(t, respSpec{sign: tt.sign}), tt.mode)
			}
			o := trusting()
			if tt.key != nil {
				o.SPKey = tt.key
			}
			r := inspectSAML(doc, nil, o)
			r.finish()
			if !r.Encrypted {
				t.Error("Encrypted = false")
			}
			if tt.want != "" {
				if !r.Has(tt.want) {
					t.Fatalf("findings %v lack %s", codes(r), tt.want)
				}
				if len(r.Claims) > 0 || r.Subject != nil {
					t.Errorf("claims reported without decryption: %v", r.Claims)
				}
				return
			}
			if r.Verdict != "ok" {
				t.Errorf("Verdict = %q, findings %v", r.Verdict, codes(r))
			}
			if !slices.Equal(r.Signature.Signed, tt.wantSigned) || !r.ClaimsSigned {
				t.Errorf("Signed = %v, ClaimsSigned = %v; want %v, true", r.Signature.Signed, r.ClaimsSigned, tt.wantSigned)
			}
			if r.Subject == nil || r.Subject.NameID != "alice@contoso.com" || findClaim(r.Claims, "emailaddress") == nil {
				t.Errorf("Subject = %+v, claims %v", r.Subject, r.Claims)
			}
		})
	}
}

// An assertion whose saml: prefix is declared only on the Response around it, as some
// IdPs produce: once decrypted on its own, the prefix must still resolve.
func TestInspectSAMLEncryptedAssertionOuterPrefix(t *testing.T) {
	keys(t)
	plain := `<saml:Assertion ID="_p1" Version="2.0" IssueInstant="2026-11-23T12:00:00Z"><saml:Issuer>` + testIssuer + `</saml:Issuer><saml:Subject><saml:NameID>bob@contoso.com</saml:NameID></saml:Subject></saml:Assertion>`
	ed, err := xmlenc.OAEP().Encrypt(spKey.cert, []byte(plain), nil)
	if err != nil {
		t.Fatal(err)
	}
	d := mustParse(t, []byte(`<samlp:Response xmlns:samlp="`+nsProtocol+`" xmlns:saml="`+nsAssertion+`" ID="_r1" Version="2.0" IssueInstant="2026-11-23T12:00:00Z"><saml:Issuer>`+testIssuer+`</saml:Issuer><samlp:Status><samlp:StatusCode Value="`+statusSuccess+`"/></samlp:Status><saml:EncryptedAssertion/></samlp:Response>`))
	firstChild(d.Root(), "EncryptedAssertion").AddChild(ed)
	signInPlace(t, d.Root(), idpKey, false)
	o := trusting()
	o.SPKey = spKey.key
	r := inspectSAML(serialize(t, d), nil, o)
	if r.Subject == nil || r.Subject.NameID != "bob@contoso.com" || !r.ClaimsSigned {
		t.Errorf("Subject = %+v, ClaimsSigned %v, findings %v", r.Subject, r.ClaimsSigned, codes(r))
	}
}
