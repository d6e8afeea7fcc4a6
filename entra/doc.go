// Package entra is the project's one vocabulary of Microsoft Entra ID: the rules and
// words that Entra itself defines and that the inspector, the Graph client, the wizard
// and the harness all need. It holds the AADSTS catalogue (each code's text, meaning,
// fix and where Entra delivers it), the GUID shape, the shape of client secrets, how
// Entra matches redirect URIs, the SAML claim URIs and their short names, and Entra's
// public base URLs.
//
// It imports nothing of the project (layout_test.go holds it to that): it is the leaf
// every other room reads, so a new AADSTS code or claim is added here once.
package entra
