//go:build !windows

package sp

import (
	"errors"
	"syscall"
)

// addrInUse reports whether a listen failed because another program holds the port.
func addrInUse(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }
