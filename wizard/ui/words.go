package ui

import (
	"regexp"
	"strings"
)

// trustPlace is where the Inspector takes trust material, in its own words.
const trustPlace = "under Trust and expectations"

// windowPhrases turn the command line's words, which the engine and the inspector
// share with it, into the window's: the field or the control to use instead of the flag.
var windowPhrases = strings.NewReplacer(
	"confirm it with break_glass_ack = yes", "tick “I keep one administrator who signs in with a password” under Break-glass account",
	"pass it with --jwks, and inspect a token with it", "add it "+trustPlace+" (Open file…, or its URL and Fetch), and inspect a token with it",
	"Pass the tenant's keys with --jwks ", "Add the tenant's keys "+trustPlace+": Fetch ",
	"Pass the signer's certificate (--cert) or metadata (--metadata)", "Add the signer's certificate or metadata "+trustPlace,
	"Pass the IdP's certificate (--cert), metadata (--metadata) or SHA-256 fingerprint (--fingerprint)", "Add the IdP's certificate or metadata, or its SHA-256 fingerprint, "+trustPlace,
	"for the harness pass --ca-cert with its ca.pem", "if it is the local demo tenant, start it on the Harness tab and fetch again: the window then trusts its certificate",
	"Pass --now, or let the tool use the clock.", "Fill in Check at "+trustPlace+", or leave it empty for now.",
	"give a time to check at instead (--now)", "fill in Check at "+trustPlace,
	"Pass --tenant with the Directory (tenant) ID", "Fill in Tenant "+trustPlace+" with the Directory (tenant) ID",
	"Pass the SP's private key (--sp-key)", "The window cannot decrypt it: inspect it with the SP's private key from the command line (ssowizard inspect --sp-key)",
)

// flagInParens is a command-line flag named in parentheses, as in "certificate (--cert)".
var flagInParens = regexp.MustCompile(` \(--[a-z][a-z-]*\)`)

// windowWords is a sentence from the engine or the inspector in the window's words:
// the known command-line phrases replaced, and any other flag in parentheses left out.
func windowWords(s string) string {
	return flagInParens.ReplaceAllString(windowPhrases.Replace(s), "")
}
