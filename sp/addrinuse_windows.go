package sp

import (
	"errors"
	"syscall"
)

// wsaeaddrinuse is Winsock's "address already in use" (10048): what a listen on a taken
// port fails with on Windows, where syscall.EADDRINUSE is only a stand-in value that no
// call returns.
const wsaeaddrinuse = syscall.Errno(10048)

// addrInUse reports whether a listen failed because another program holds the port.
func addrInUse(err error) bool {
	return errors.Is(err, wsaeaddrinuse) || errors.Is(err, syscall.EADDRINUSE)
}
