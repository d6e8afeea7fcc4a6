// Package clocale keeps Fyne quiet in the C locale. Imported for its side effect, before
// Fyne's lang package initialises: when the locale is "C.UTF-8" (the default on servers,
// containers and CI), Fyne tries to parse "C" as a BCP 47 language tag at start-up and
// prints three lines of errors on every command. Setting LANGUAGE=en, which gettext-style
// lookups consult only for message translation, makes it fall back to English silently.
//
// Go initialises a package before any package whose import path sorts after it among
// those ready at the time (Go 1.21 spec); this one imports only os, so it runs before
// fyne.io/fyne/v2/lang, which waits on golang.org/x/text.
package clocale

import (
	"os"
	"strings"
)

func init() {
	if os.Getenv("LANGUAGE") != "" {
		return
	}
	loc := ""
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if loc = os.Getenv(v); loc != "" {
			break
		}
	}
	if strings.HasPrefix(loc, "C.") || strings.HasPrefix(loc, "POSIX.") {
		os.Setenv("LANGUAGE", "en")
	}
}
