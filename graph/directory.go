package graph

import "github.com/ssowizard/ssowizard/directory"

// The client reads and writes the plain directory model (package directory), which is
// SDK-free so that its users compile without msgraph-sdk-go. These names let the
// client's code read as before; they are the same types, not copies.
type (
	Client             = directory.Client
	Tenant             = directory.Tenant
	Domain             = directory.Domain
	App                = directory.App
	Password           = directory.Password
	SigningCertificate = directory.SigningCertificate
	AppDetails         = directory.AppDetails
	SecretInfo         = directory.SecretInfo
	SPDetails          = directory.SPDetails
	CertInfo           = directory.CertInfo
	Principal          = directory.Principal
	Assignment         = directory.Assignment
)

// SearchLimit is the most principals a search returns.
const SearchLimit = directory.SearchLimit

var _ Client = (*SDKClient)(nil)
